"""Last node of every turn: check the answer before it is stored and shown (see `agent.output_checks`)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from agent import prompts
from agent.context import Context
from agent.output_checks import TurnFacts, check_answer
from agent.state import State


def check_output(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Replace (same message id) an answer that fails a check; always record which checks tripped."""
    services = runtime.context.services
    answer = state["messages"][-1]
    text = str(answer.text)  # a plain str: spaCy, inside the masker, refuses langchain's str subclass
    checked = check_answer(text, turn_facts(state, runtime.context), services.masker)
    update: dict[str, Any] = {"output_check": [*state.get("output_check", []), *checked.tripped]}
    if checked.text != text:  # the same id makes the messages reducer replace the answer, not add one
        update["messages"] = [AIMessage(checked.text, id=answer.id)]
    return update


def turn_facts(state: State, context: Context) -> TurnFacts:
    """Who asked and what they wrote (raw, from the context), and the bank's own text this turn used."""
    snippets = [source["snippet"] for source in state.get("sources", [])]
    trusted = "\n".join([*snippets, *state.get("facts", []), prompts.CONTACT_LINE])
    customers = context.services.reports.list_customers()
    return TurnFacts(context.user_text, context.customer_id, customers, trusted)
