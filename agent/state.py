"""The graph's state: what one conversation thread remembers between nodes and turns."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict, cast

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from langgraph.types import Overwrite

# Defined in tools/ (which must not import agent); re-exported for the graph's modules.
from tools.routes import ROUTES as ROUTES
from tools.routes import Route

# What the guard decides: a route, or a clarifying question when it cannot tell.
Decision = Route | Literal["clarify"]
# What a signed-out customer must sign in for: their own accounts, or their credit report.
SignIn = Literal["accounts", "credit"]


class Source(TypedDict):
    """A policy document an answer drew on; `snippet` is the passage shown to the model."""

    id: str
    title: str
    score: float
    snippet: str


class PendingAction(TypedDict):
    """An account action waiting for the customer's decision; the action itself lives in the app DB."""

    id: str
    kind: str
    summary: str


def merge_timings(current: dict[str, float], update: dict[str, float]) -> dict[str, float]:
    """Each node adds its own duration; the service resets the dict at the start of a turn."""
    return {**current, **update}


class State(TypedDict, total=False):
    """Checkpointed per thread; nodes return only the keys they change."""

    messages: Annotated[list[AnyMessage], add_messages]
    masked_input: str
    route: Decision
    scope_confidence: float
    scope_reason: str | None  # why the guard's screen refused the turn ("language", "frame", ...); None otherwise
    announces_only: bool  # the message names no subject ("I have a question"): ask what it is about
    intent: str | None  # the guard's most probable class ("banking77:card_arrival", "ours:credit", ...)
    intent_probability: float | None
    follows_up: str | None  # the earlier question (masked) a short follow-up on the same route points back to
    thread_opener: str | None  # the question (masked) a chain of banking follow-ups started from
    # About the customer's own accounts or credit report, but no customer is signed in: answered from policy, with a
    # pointer to sign in for which of the two.
    needs_sign_in: SignIn | None
    sources: list[Source]
    facts: list[str]
    facts_dropped: int  # extracted lines the reports did not support
    facts_source: str  # "extractor", or "diff" when the deterministic diff's facts were used
    customer_id: str | None
    pii_placeholders: dict[str, str]  # the thread's keyed hash of each PII value -> its placeholder (tools/pii_memory)
    pending_action: PendingAction | None  # an account action proposed this turn, waiting for confirm or cancel
    action_outcome: dict[str, str] | None  # what the customer's decision did: {id, kind, status}
    output_check: list[str]  # the output checks that changed this turn's answer; empty when it passed
    timings_ms: Annotated[dict[str, float], merge_timings]


def fresh_turn(customer_id: str | None) -> State:
    """A new message's state update: per-turn keys start empty, so nothing of the last turn leaks into this one.

    Overwrite bypasses the timings reducer (hence the cast: Overwrite is not a dict).
    """
    reset: dict[str, Any] = {"sources": [], "facts": [], "facts_dropped": 0, "facts_source": "", "output_check": []}
    reset |= {"pending_action": None, "action_outcome": None, "customer_id": customer_id}
    reset["timings_ms"] = Overwrite({})
    return cast(State, reset)
