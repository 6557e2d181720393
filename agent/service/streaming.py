"""What LangGraph's stream means to a front end: answer tokens, node steps, and the asker's own values shown back."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from agent.events import Done, Step, Token, TurnResult
from agent.runtime.backends import ANSWER_TAG
from tools.own_values import OwnValueStream, show_own_values

STREAM_MODES: list[Any] = ["messages", "updates", "custom"]


def to_messages(values: dict[str, Any]) -> list[dict[str, str]]:
    """A state's messages as {role: user|assistant, content}."""
    roles = {"human": "user", "ai": "assistant"}
    return [{"role": roles[m.type], "content": m.text} for m in values.get("messages", []) if m.type in roles]


def turn_events(mode: str, payload: Any) -> Iterator[Token | Step]:
    """What one part of LangGraph's stream means to a front end."""
    if mode == "messages" and _is_answer_token(payload):
        yield Token(payload[0].text)
    elif mode == "updates":
        # "__interrupt__" is LangGraph's note that the turn now waits; the result carries the pending action.
        yield from (Step(node, update or {}) for node, update in payload.items() if node != "__interrupt__")
    elif mode == "custom":  # a node's early news, e.g. the sources before the answer
        yield Step(payload["node"], payload["update"])


def shown_events(events: Iterable[Token | Step], own: OwnValueStream) -> Iterator[Token | Step]:
    """The events with the customer's own values back in the answer's tokens (a split placeholder waits)."""
    for event in events:
        if not isinstance(event, Token):
            yield event
        elif shown := own.feed(event.text):
            yield Token(shown)


def closing_events(own: OwnValueStream, result: TurnResult) -> Iterator[Token | Done]:
    """The rest of the streamed answer (or all of it when nothing streamed), then the result.

    Canned, checked and fallback answers stream nothing. The result shows the customer's own values.
    """
    result = shown_to_customer(result, own.values)
    if not own.streamed.strip():
        yield Token(result.answer)
    elif rest := own.flush():
        yield Token(rest)
    yield Done(result)


def shown_to_customer(result: TurnResult, own: Mapping[str, str]) -> TurnResult:
    """The result as its asker sees it: their own values from this message instead of its placeholders."""
    return dataclasses.replace(result, answer=show_own_values(result.answer, own))


def _is_answer_token(payload: tuple[Any, dict[str, Any]]) -> bool:
    """Only the tagged answer call's tokens are shown; other model calls stay hidden."""
    chunk, metadata = payload
    return ANSWER_TAG in (metadata.get("tags") or []) and bool(chunk.text)
