"""A person takes over: a case with the reason and the masked transcript, and the case number to the customer."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage
from langgraph.config import get_config
from langgraph.runtime import Runtime

from agent import prompts
from agent.context import Context
from agent.nodes.answer_banking import policy_answer_if_any
from agent.nodes.refuse_out_of_scope import ASKS
from agent.state import State
from tools.cases import WANTS_PERSON, handoff_reason, open_handoff
from tools.text import content_words

# The words left of a request for a person once its phrase ("talk to a human") is taken out.
ASKING_FOR_A_PERSON = (
    "can could i please need want get talk speak chat call reach contact connect transfer someone somebody now asap "
    "urgent help me"
)


def hand_off(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Open (or reuse) the thread's handoff case; the transcript is the state's, so it holds masked text only.

    A message that also asks something the policy plainly answers gets that answer after the case number
    (`policy_meanwhile`).
    """
    reason = handoff_reason(state["masked_input"]) or "asked for a person"
    thread_id = get_config()["configurable"]["thread_id"]
    store = runtime.context.services.accounts
    case = open_handoff(store, runtime.context.customer_id, thread_id, reason, transcript(state))
    reply = prompts.HANDOFF.format(case=case.id)
    if reason == "fraud report":
        reply += prompts.HANDOFF_FRAUD_NOTE
    if meanwhile := policy_meanwhile(state, runtime):
        answer, sources = meanwhile
        return {"messages": [AIMessage(f"{reply} {prompts.MEANWHILE}{answer}")], "sources": sources}
    return {"messages": [AIMessage(reply)]}


def policy_meanwhile(state: State, runtime: Runtime[Context]) -> tuple[str, list[Any]] | None:
    """The policy's answer, with its sources, to a question asked along with the request for a person.

    A person replies later; "Someone stole my phone, what is my next step?" needs the step now. Only a message
    that asks something is tried: the policy's nearest sentence to "call someone for me" or "i think there's
    fraud on my account" is no answer ("If someone asks, hang up and call ...", "This page explains the signs
    ..."). Of the 191 handoff messages in the datasets and evals, 12 ask and get one (2026-12-08): the
    identity-theft steps, a stolen phone's, a reverted top-up.
    """
    question = WANTS_PERSON.sub(" ", state["masked_input"])  # what it asks besides a person
    if not ASKS.search(question) or not content_words(question) - content_words(ASKING_FOR_A_PERSON):
        return None  # "can I talk to a human?" asks for nothing else
    answered = policy_answer_if_any({**state, "masked_input": question}, runtime, node="hand_off")
    if answered is None:
        return None
    return answered["messages"][0].text, answered["sources"]


def transcript(state: State) -> str:
    """The thread's messages as "customer: ..." and "assistant: ..." lines."""
    speakers = {"human": "customer", "ai": "assistant"}
    return "\n".join(f"{speakers[m.type]}: {m.text}" for m in state.get("messages", []) if m.type in speakers)
