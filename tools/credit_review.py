"""A customer's credit review: what changed between their two latest reports and a ranked plan, computed by code.

The model-written paragraph about the same reports is the credit *summary* (`agent/credit_summary.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.credit import CreditReport
from tools.credit_diff import Fact, describe_report, diff_reports
from tools.credit_plan import PlanStep, score_improvement_plan
from tools.reports import ReportStore
from tools.third_person import third_person
from tools.validation import check_customer

PLAN_STEPS_SHOWN = 3


@dataclass(frozen=True)
class CreditReview:
    """Facts from the reports (a diff when there are two, a description when there is one) and the plan."""

    report_dates: list[str]
    score: int | None
    facts: list[Fact]
    plan: list[PlanStep]


def review_reports(reports: list[CreditReport], plan_steps: int = PLAN_STEPS_SHOWN) -> CreditReview:
    """Review the newest-first reports; no reports gives an empty review."""
    if not reports:
        return CreditReview([], None, [], [])
    facts = diff_reports(reports[1], reports[0]) if len(reports) >= 2 else describe_report(reports[0])
    dates = [r.report_date.isoformat() for r in reports[:2]]
    return CreditReview(dates, reports[0].score, facts, score_improvement_plan(reports[0])[:plan_steps])


def credit_review(reports: ReportStore, customer_id: str) -> CreditReview:
    """The customer's review; an unknown customer is an UnknownCustomerError."""
    check_customer(reports, customer_id)
    return review_reports(reports.latest_reports(customer_id, 2))


def review_to_dict(customer_id: str, review: CreditReview, for_analyst: bool = False) -> dict[str, Any]:
    """The one JSON shape of a review, in the REST API and in batch results.

    The facts and plan speak to the customer ("Your score fell ..."); an analyst reads them about the customer.
    """
    voice = third_person if for_analyst else str
    return {
        "customer_id": customer_id,
        "report_dates": review.report_dates,
        "score": review.score,
        "facts": [voice(fact.line) for fact in review.facts],
        "plan": [voice(step.action) for step in review.plan],
    }
