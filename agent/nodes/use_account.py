"""Questions about the customer's own accounts: the read tools answer; an action is proposed, not run.

The answer is the tools' own sentences (no model phrasing), so every figure in it is one the ledger holds.
A question that also asks why ("why was I charged a fee on my transfer?") gets the policy passage too.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage
from langgraph.config import get_config
from langgraph.runtime import Runtime

from agent import prompts
from agent.account_tools import request_from_model
from agent.context import Context
from agent.nodes.answer_banking import abstained, extractive_answer, help_without_signing_in, to_source
from agent.state import State
from tools.account_actions import record_proposal
from tools.account_proposals import propose
from tools.account_reads import ToolAnswer, answer_read
from tools.account_requests import AccountRequest, follow_up_request, read_request


def use_account(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Read the session customer's ledger, or propose the action they asked for; never act on the message's say."""
    context = runtime.context
    if context.customer_id is None:  # an analyst is signed in, and picks a customer instead
        return {"messages": [AIMessage(prompts.NO_ACCOUNT_CUSTOMER + help_without_signing_in(context.role))]}
    if not context.services.accounts.has_ledger(context.customer_id):
        return {"messages": [AIMessage(prompts.NO_ACCOUNTS)]}
    request = chosen_request(state, context)
    if request is None:  # routed here by an earlier turn's wording only
        return tool_update(ToolAnswer([], "Which account, card or transaction do you mean?"))
    if request.is_action:
        return propose_action(context, request)
    update = tool_update(answer_read(context.services.accounts, context.customer_id, request))
    if request.kind == "transactions" and "why" in request.words:
        update = with_policy(update, context, state["masked_input"])
    return update


def chosen_request(state: State, context: Context) -> AccountRequest | None:
    """The tool and its filters: the model's tool call where it is offered the tools, else the parser's reading."""
    services = context.services
    if services.settings.account_tool_calling:
        chosen = request_from_model(services.synthesizer, state["masked_input"])
        if chosen is not None:
            return chosen
    # The route already says the message is about the customer's own accounts; the wording (or else the
    # guard's BANKING77 intent) names the tool.
    request = read_request(state["masked_input"], own=True, intent=state.get("intent"))
    return request or earlier_request_changed(state)


def earlier_request_changed(state: State) -> AccountRequest | None:
    """The previous turn's request as a short follow-up changes it ("and last month?"), if it is one."""
    previous = state.get("follows_up")
    return follow_up_request(previous, state["masked_input"]) if previous else None


def propose_action(context: Context, request: AccountRequest) -> dict[str, Any]:
    """Record the proposal and ask for confirmation; an analyst, a question or a refusal changes nothing."""
    if context.role != "customer":
        return {"messages": [AIMessage(prompts.ANALYST_CANNOT_ACT)]}
    store, customer_id = context.services.accounts, str(context.customer_id)
    proposal = propose(store, customer_id, request)
    if isinstance(proposal, ToolAnswer):
        return tool_update(proposal)
    thread_id = get_config()["configurable"]["thread_id"]
    action_id = record_proposal(store, customer_id, thread_id, proposal, context.services.settings.action_ttl_s)
    return {
        "messages": [AIMessage(f"{proposal.summary} {prompts.CONFIRM_QUESTION}")],
        "facts": [proposal.summary],
        "facts_source": "accounts",
        "pending_action": {"id": action_id, "kind": proposal.kind, "summary": proposal.summary},
    }


def tool_update(answer: ToolAnswer) -> dict[str, Any]:
    """The tool's sentences as the answer (and as the turn's facts), or its question."""
    text = answer.question or "\n".join(answer.lines)
    return {"messages": [AIMessage(text)], "facts": list(answer.lines), "facts_source": "accounts"}


def with_policy(update: dict[str, Any], context: Context, question: str) -> dict[str, Any]:
    """The ledger's answer followed by the policy sentence that explains it, cited."""
    services = context.services
    if services.selector is None:
        return update
    documents = services.retriever.retrieve(question, services.settings.retrieval_top_k)
    relevant = [d for d in documents if d.score >= services.settings.retrieval_min_score]
    policy = extractive_answer(services.selector, question, relevant, [to_source(d) for d in relevant])
    if abstained(policy):  # no policy sentence explains it: the ledger's answer alone
        return update
    text = f"{update['messages'][0].text}\n\nWhy: {policy['messages'][0].text}"
    return {**update, "messages": [AIMessage(text)], "sources": policy["sources"]}
