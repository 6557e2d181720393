"""Anything outside banking and credit gets a polite, fixed refusal: no model call, nothing to leak."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agent import prompts
from agent.nodes.ask_to_clarify import MISSES
from agent.nodes.history import recent_misses
from agent.state import State


def refuse_out_of_scope(state: State) -> dict[str, Any]:
    """Decline and say what the assistant can do; a message in another language is told we help in English."""
    reply = prompts.ENGLISH_ONLY if state.get("scope_reason") == "language" else prompts.REFUSAL
    offer = prompts.HANDOFF_OFFER if recent_misses(state, MISSES) >= 2 else ""
    return {"messages": [AIMessage(reply + offer)]}
