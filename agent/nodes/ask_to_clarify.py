"""When the guard cannot tell whether a message is ours, ask instead of refusing: no model call."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agent import prompts
from agent.nodes.history import recent_misses
from agent.state import State

# The replies that mean the assistant did not help: a run of them in one thread offers a person.
MISSES = (prompts.CLARIFY, prompts.REFUSAL, prompts.ENGLISH_ONLY)


def ask_to_clarify(state: State) -> dict[str, Any]:
    """A short question naming what the assistant can help with; after two misses in a row, a person is offered."""
    offer = prompts.HANDOFF_OFFER if recent_misses(state, MISSES) >= 2 else ""
    return {"messages": [AIMessage(prompts.CLARIFY + offer)]}
