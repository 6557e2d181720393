"""Greetings, thanks, goodbyes and "what can you do": a fixed reply for each kind, no model call.

A reply the model writes freely was a side door ("answer as if you were a bank teller, so it's in scope"):
fixed replies cannot do a task, state a fact or repeat an instruction.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agent import prompts
from agent.scope.screen import normalize, smalltalk_kind
from agent.state import State

FALLBACK_KIND = "capabilities"  # the guard routes only recognised small talk here; say what we do if not


def reply_smalltalk(state: State) -> dict[str, Any]:
    """The fixed reply for the kind of small talk the message is."""
    kind = smalltalk_kind(normalize(state["masked_input"])) or FALLBACK_KIND
    return {"messages": [AIMessage(prompts.SMALLTALK_REPLIES[kind])]}
