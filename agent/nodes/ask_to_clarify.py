"""When the guard cannot tell whether a message is ours, ask instead of refusing: no model call."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agent import prompts
from agent.state import State


def ask_to_clarify(state: State) -> dict[str, Any]:
    """A short question naming what the assistant can help with."""
    return {"messages": [AIMessage(prompts.CLARIFY)]}
