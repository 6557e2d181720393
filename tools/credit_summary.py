"""A customer's credit summary: what changed between their two latest reports and a ranked plan."""

from __future__ import annotations

from dataclasses import dataclass

from tools.credit import CreditReport
from tools.credit_diff import Fact, describe_report, diff_reports
from tools.credit_plan import PlanStep, score_improvement_plan

PLAN_STEPS_SHOWN = 3


@dataclass(frozen=True)
class CreditSummary:
    """Facts from the reports (a diff when there are two, a description when there is one) and the plan."""

    report_dates: list[str]
    score: int | None
    facts: list[Fact]
    plan: list[PlanStep]


def summarize_reports(reports: list[CreditReport], plan_steps: int = PLAN_STEPS_SHOWN) -> CreditSummary:
    """Summarize the newest-first reports; no reports gives an empty summary."""
    if not reports:
        return CreditSummary([], None, [], [])
    facts = diff_reports(reports[1], reports[0]) if len(reports) >= 2 else describe_report(reports[0])
    dates = [r.report_date.isoformat() for r in reports[:2]]
    return CreditSummary(dates, reports[0].score, facts, score_improvement_plan(reports[0])[:plan_steps])
