"""Wait for the customer's decision on a proposed action (LangGraph's interrupt), then run it at most once.

The pause lives in the thread's checkpoint, so the decision may come after a restart, from any front end.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent import prompts
from agent.context import Context
from agent.state import State
from tools.account_actions import Decision, decide


def confirm_action(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Pause until resumed with {"decision": "confirm" | "cancel"}; a new message resumes it as superseded."""
    pending = state["pending_action"]
    assert pending is not None  # the edge comes here only with a pending action
    reply = interrupt({"action_id": pending["id"], "kind": pending["kind"], "summary": pending["summary"]})
    superseded = bool(reply.get("superseded"))
    decision: Decision = "confirm" if reply.get("decision") == "confirm" and not superseded else "cancel"
    store, customer_id = runtime.context.services.accounts, str(runtime.context.customer_id)
    outcome = decide(store, pending["id"], customer_id, decision)
    message = prompts.ACTION_SUPERSEDED if superseded and outcome.status == "cancelled" else outcome.message
    return {
        "messages": [AIMessage(message)],
        "facts": [message],
        "facts_source": "accounts",
        "pending_action": None,
        "action_outcome": {"id": outcome.action_id, "kind": outcome.kind, "status": outcome.status},
    }
