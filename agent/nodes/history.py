"""The slice of the conversation a model sees before the current message."""

from __future__ import annotations

from langchain_core.messages import AnyMessage

from agent.state import State


def earlier_messages(state: State, limit: int) -> list[AnyMessage]:
    """Up to `limit` messages before the current (last) one."""
    messages = state.get("messages", [])[:-1]
    return messages[-limit:] if limit else []
