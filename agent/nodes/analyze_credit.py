"""Credit questions: deterministic facts from the customer's reports, phrased by the base model.

The model only phrases; numbers come from the reports. A draft stating a number that is in
neither the facts nor the plan is replaced by a templated answer built from them.
"""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from agent import prompts
from agent.context import Context
from agent.llm import generate_hidden
from agent.state import State
from tools.credit import CreditReport
from tools.credit_diff import Fact
from tools.credit_plan import PlanStep
from tools.credit_summary import summarize_reports
from tools.grounding import grounding_problem

log = logging.getLogger(__name__)
DRAFT_MAX_TOKENS = 120  # a short paragraph


def analyze_credit(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Answer about the session's customer only; the customer never comes from the message."""
    customer_id = runtime.context.customer_id
    if customer_id is None:
        return {"messages": [AIMessage(prompts.NO_CUSTOMER)]}
    reports = runtime.context.services.reports.latest_reports(customer_id, 2)
    if not reports:
        return {"messages": [AIMessage(prompts.NO_REPORTS)]}
    summary = summarize_reports(reports)
    facts, plan = summary.facts, summary.plan
    answer = checked_answer(runtime.context.services.synthesizer, facts, plan, state["masked_input"])
    if len(reports) == 1:
        answer = f"{single_report_note(reports[0])} {answer}"
    return {"messages": [AIMessage(answer)], "facts": [f.line for f in facts]}


def checked_answer(model: BaseChatModel, facts: list[Fact], plan: list[PlanStep], question: str) -> str:
    """The model's paragraph if it states the report's numbers and no others, else the template."""
    fact_lines = "\n".join(f.line for f in facts)
    plan_lines = "\n".join(f"- {step.action}" for step in plan) or "- (none)"
    prompt = prompts.CREDIT_USER.format(facts=fact_lines, plan=plan_lines, question=question)
    # Hidden: an unchecked draft must never reach the user's screen.
    draft = generate_hidden(model, [SystemMessage(prompts.CREDIT_SYSTEM), HumanMessage(prompt)], DRAFT_MAX_TOKENS)
    problem = grounding_problem(draft, f"{fact_lines}\n{plan_lines}")
    if problem is None:
        return draft
    log.info("Credit draft replaced by the template: %s", problem)
    return templated_answer(facts, plan)


def templated_answer(facts: list[Fact], plan: list[PlanStep]) -> str:
    """An answer built only from the facts and plan: always true to the report."""
    steps = " ".join(step.action for step in plan)
    plan_text = prompts.CREDIT_TEMPLATE_PLAN.format(steps=steps) if plan else ""
    return prompts.CREDIT_TEMPLATE_ANSWER.format(facts=" ".join(f.text for f in facts), plan=plan_text)


def single_report_note(report: CreditReport) -> str:
    """Say plainly that there is nothing earlier to compare with."""
    return prompts.SINGLE_REPORT_NOTE.format(date=report.report_date.isoformat())
