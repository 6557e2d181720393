"""Anything outside banking and credit gets a polite, fixed refusal; a question put to the bank, the policy first."""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from agent import prompts
from agent.context import Context
from agent.nodes.answer_banking import ABSTAINED, policy_answer_if_any
from agent.nodes.ask_to_clarify import MISSES
from agent.nodes.history import recent_misses
from agent.state import State

BANK_FIRST_WORD = prompts.BANK_NAME.split()[0]  # "Larkspur"
# A question that names the bank or speaks to it as a business ("do u guys do student loans", "how many branches
# does larkspur have") asks about the bank's own services: "I can only help with Larkspur Bank's banking services"
# reads to its asker as not understood, so where the policy has no answer, that is what the reply says.
NAMES_THE_BANK = re.compile(rf"\b{BANK_FIRST_WORD}\b|\b(?:you|u) guys\b|\by['’]?all\b|\byour bank\b", re.IGNORECASE)
# ... when it asks something, in any clause and after a greeting ("hey do you guys do student loans", "i was
# wondering if y'all do CDs"): "y'all suck" is not a question the policy could have answered.
ASKS = re.compile(
    r"\?|\b(?:wonder(?:ing)?|want to know|wanna know|curious)\b"
    r"|(?:^|[.!,;:]\s*)\W*(?:(?:hey|hi|hello|so|ok|okay|well|and|but|also|larkspur)\W+)*"
    r"(?:do|does|did|can|could|will|would|is|are|r|was|were|has|have|how|what|whats|when|where|wheres|which|who|"
    r"why|should|may|any)\b",
    re.IGNORECASE,
)
# A message that names the bank, addresses it ("thru you guys") or names the customer's own account or card is
# put to the bank, whatever the guard makes of its other words: "will my larkspur card work in cuba" is 0.43 in
# scope (CLINC150's plug_type), "my birthday is wrong on my account, how do i fix it" 0.28. Where the policy has
# no answer, "with you" and "my ..." keep the refusal: "what kind of pets live with you" is put to the assistant.
PUT_TO_THE_BANK = re.compile(
    NAMES_THE_BANK.pattern + r"|\b(?:with|thru|through|from) (?:you|u)\b"
    r"|\bmy (?:(?:bank|checking|savings|debit|credit) )?(?:account|acct|card|cd|loan|mortgage|checking|savings|"
    r"heloc|statement|balance|deposit|transfer|wire)s?\b",
    re.IGNORECASE,
)


def refuse_out_of_scope(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Decline and say what the assistant can do; a message in another language is told we help in English.

    A message put to the bank (`PUT_TO_THE_BANK`) that the policy plainly answers gets that answer instead, as
    the guard's unsure band does: only the extractive selector decides, and its answerability check was
    calibrated to abstain. Of the messages put to the bank that the guard refuses (10 of CLINC150's 1,028 such
    training and validation messages, 2 of the red-team and scope-eval ones), it picked a sentence for none.
    One that asks about the bank and gets no answer from it is told the policy does not say (`fixed_reply`).
    """
    if answered := bank_question_answer(state, runtime):
        return answered
    reply = fixed_reply(state, policy_tried=runtime.context.services.selector is not None)
    offer = prompts.HANDOFF_OFFER if recent_misses(state, MISSES) >= 2 else ""
    update: dict[str, Any] = {"messages": [AIMessage(reply + offer)]}
    if reply == prompts.NO_ANSWER:  # the policy was tried and is silent: an abstention, as the banking route's
        update["output_check"] = [ABSTAINED]
    return update


def fixed_reply(state: State, policy_tried: bool) -> str:
    """In English only; not in the policy (a question to the bank the policy was tried on); else the refusal."""
    reason = state.get("scope_reason")
    if reason == "language":
        return prompts.ENGLISH_ONLY
    message = state["masked_input"]
    if policy_tried and not reason and NAMES_THE_BANK.search(message) and ASKS.search(message):
        return prompts.NO_ANSWER
    return prompts.REFUSAL


def bank_question_answer(state: State, runtime: Runtime[Context]) -> dict[str, Any] | None:
    """The policy's answer to a message put to the bank, when the selector finds one; None otherwise.

    A message the screen refused (another language, a role-play frame, a task for a general assistant) is not
    tried: it was refused for what it is, not for its topic.
    """
    if state.get("scope_reason") or not PUT_TO_THE_BANK.search(state["masked_input"]):
        return None
    return policy_answer_if_any(state, runtime, node="refuse_out_of_scope")
