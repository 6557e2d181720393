"""A person takes over: a case with the reason and the masked transcript, and the case number to the customer."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage
from langgraph.config import get_config
from langgraph.runtime import Runtime

from agent import prompts
from agent.context import Context
from agent.state import State
from tools.cases import handoff_reason, open_handoff


def hand_off(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Open (or reuse) the thread's handoff case; the transcript is the state's, so it holds masked text only."""
    reason = handoff_reason(state["masked_input"]) or "asked for a person"
    thread_id = get_config()["configurable"]["thread_id"]
    store = runtime.context.services.accounts
    case = open_handoff(store, runtime.context.customer_id, thread_id, reason, transcript(state))
    reply = prompts.HANDOFF.format(case=case.id)
    if reason == "fraud report":
        reply += prompts.HANDOFF_FRAUD_NOTE
    return {"messages": [AIMessage(reply)]}


def transcript(state: State) -> str:
    """The thread's messages as "customer: ..." and "assistant: ..." lines."""
    speakers = {"human": "customer", "ai": "assistant"}
    return "\n".join(f"{speakers[m.type]}: {m.text}" for m in state.get("messages", []) if m.type in speakers)
