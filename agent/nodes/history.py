"""The slice of the conversation a model sees before the current message."""

from __future__ import annotations

from langchain_core.messages import AnyMessage

from agent.state import State


def recent_misses(state: State, misses: tuple[str, ...]) -> int:
    """How many of the assistant's replies just before this message were in `misses` (refusals, questions back)."""
    replies = [m.text for m in state.get("messages", [])[:-1] if m.type == "ai"]
    count = 0
    for reply in reversed(replies):
        if not reply.startswith(misses):
            break
        count += 1
    return count


def earlier_messages(state: State, limit: int) -> list[AnyMessage]:
    """Up to `limit` messages before the current (last) one."""
    messages = state.get("messages", [])[:-1]
    return messages[-limit:] if limit else []


def previous_reply(state: State) -> str:
    """The assistant's reply just before the current message ('' in a new thread)."""
    replies = [m.text for m in state.get("messages", [])[:-1] if m.type == "ai"]
    return replies[-1] if replies else ""
