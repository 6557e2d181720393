"""When the guard cannot tell whether a message is ours: answer it if the policy plainly does, else ask."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from agent import prompts
from agent.context import Context
from agent.nodes.answer_banking import policy_answer_if_any
from agent.nodes.history import recent_misses
from agent.state import State

# The replies that mean the assistant did not help: a run of them in one thread offers a person. NO_ANSWER is
# also what a refused question about the bank gets when the policy does not answer it.
MISSES = (prompts.CLARIFY, prompts.ASK_WHAT_ABOUT, prompts.REFUSAL, prompts.ENGLISH_ONLY, prompts.NO_ANSWER)


def ask_to_clarify(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """A short question back, unless the policy plainly answers; "what is it about?" to a message naming no subject.

    The guard's unsure band holds customers' own wording ("is my money actually insured with you guys, up to
    how much" is 0.51 in scope): asking them to rephrase a question the policy answers plainly is a miss. Only
    the extractive selector decides: its thresholds and gates were calibrated to abstain, and on the red-team,
    CLINC150 out-of-scope and scope-eval messages in this band it picked a sentence for one, a banking
    question. After two misses in a row, a person is offered.
    """
    # A message that names no subject ("I got a notice") is asked what it is about; the policy is not tried on
    # it, since any sentence would answer a guess. The guard decided that once, on the words meant.
    vague = bool(state.get("announces_only"))
    if not vague and (answered := policy_answer_if_any(state, runtime, node="ask_to_clarify")):
        return answered
    offer = prompts.HANDOFF_OFFER if recent_misses(state, MISSES) >= 2 else ""
    question = prompts.ASK_WHAT_ABOUT if vague else prompts.CLARIFY
    return {"messages": [AIMessage(question + offer)]}
