"""Decide the turn's route once, with the trained scope guard, and store it in state."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from agent.context import Context
from agent.state import State


def guard_scope(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Classify the masked message; an unclear follow-up keeps the thread's banking or credit route."""
    guard = runtime.context.services.guard
    decision = guard.classify_follow_up(state["masked_input"], state.get("route"), previous_question(state))
    return {
        "route": decision.route,
        "scope_confidence": decision.confidence,
        "scope_reason": decision.reason,
        "intent": decision.intent,
        "intent_probability": decision.intent_probability,
    }


def previous_question(state: State) -> str | None:
    """The customer's message before the current one (masked), if the thread has one."""
    earlier = [m for m in state.get("messages", [])[:-1] if isinstance(m, HumanMessage)]
    return str(earlier[-1].content) if earlier else None
