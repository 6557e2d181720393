"""Decide the turn's route once, with the embedding-based scope guard, and store it in state."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import Context
from agent.state import State


def guard_scope(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Classify the masked message into one of the four routes."""
    decision = runtime.context.services.guard.classify([state["masked_input"]])[0]
    return {"route": decision.route, "scope_confidence": decision.confidence}
