"""Credit questions: the extractor's checked facts about the customer's reports, phrased by the advisor.

The model only phrases; numbers come from the reports (see `agent.credit`).
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from agent import prompts
from agent.context import Context
from agent.credit import checked_answer, extract_facts, improvement_plan
from agent.credit_premise import premise_correction, with_correction
from agent.nodes.answer_banking import abstained, policy_answer
from agent.state import State
from tools.credit import CreditReport
from tools.third_person import third_person


def analyze_credit(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Answer about the session's customer only; the customer never comes from the message."""
    customer_id = runtime.context.customer_id
    if customer_id is None:
        return {"messages": [AIMessage(prompts.NO_CUSTOMER)]}
    services = runtime.context.services
    reports = services.reports.latest_reports(customer_id, 2)
    if not reports:
        return {"messages": [AIMessage(prompts.NO_REPORTS)]}
    policy = general_policy_answer(state, runtime) if runtime.context.role == "customer" else None
    checked = extract_facts(services.extractor, reports)
    plan = improvement_plan(reports)
    answer = checked_answer(services.advisor, checked.facts, plan, state["masked_input"])
    if len(reports) == 1:
        answer = f"{single_report_note(reports[0])} {answer}"
    if correction := premise_correction(services.as_meant(state["masked_input"]), reports):
        answer = with_correction(correction, answer, reports)
    facts = [f.line for f in checked.facts]
    if runtime.context.role == "analyst":  # written to the customer; an analyst reads about them
        answer, facts = third_person(answer), [third_person(fact) for fact in facts]
    update: dict[str, Any] = {
        "messages": [AIMessage(answer)],
        "facts": facts,
        "facts_dropped": checked.dropped,
        "facts_source": checked.source,
    }
    if policy:  # the policy's answer first: it is what was asked; then what the customer's report shows
        update["messages"] = [AIMessage(f"{policy['messages'][0].text} {prompts.ABOUT_YOUR_REPORT} {answer}")]
        update["sources"] = policy["sources"]
    return update


def general_policy_answer(state: State, runtime: Runtime[Context]) -> dict[str, Any] | None:
    """The policy's quoted answer to a general credit question ("How do I place a credit freeze?"), if it has one.

    The advisor answers only questions about the customer's report; asked how to freeze their credit, it gave
    their utilization. Whether a question is general is a nearest-neighbour vote that is right about 3 times
    in 4, so the report's answer always follows: a report question taken for a general one loses nothing.
    """
    services = runtime.context.services
    if services.selector is None or not services.credit_kinds.is_general(services.as_meant(state["masked_input"])):
        return None
    update = policy_answer(state, runtime, node="analyze_credit")
    return None if abstained(update) else update


def single_report_note(report: CreditReport) -> str:
    """Say plainly that there is nothing earlier to compare with."""
    return prompts.SINGLE_REPORT_NOTE.format(date=report.report_date.isoformat())
