"""A deterministic score-improvement plan from one report, ranked by likely impact."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from tools.credit import CreditReport
from tools.credit_diff import account_name, money

# Rough share of a FICO score driven by each factor: payment history 35%, amounts owed 30%,
# length of history 15%, new credit 10%, credit mix 10%. Collections weigh as payment history.
IMPACT = {"collections": 35, "lates": 34, "utilization": 30, "inquiries": 10, "age": 8}
TARGET_UTILIZATION = 0.30
IDEAL_UTILIZATION = 0.10


@dataclass(frozen=True)
class PlanStep:
    """One recommended action and why it helps."""

    factor: str
    action: str
    impact: int


def score_improvement_plan(report: CreditReport) -> list[PlanStep]:
    """Actions that would most likely raise this report's score, highest impact first."""
    steps = _collection_steps(report) + _late_steps(report) + _utilization_steps(report)
    steps += _inquiry_steps(report) + _age_steps(report)
    return sorted(steps, key=lambda s: -s.impact)


def _collection_steps(report: CreditReport) -> list[PlanStep]:
    """Unpaid collections: pay or settle them, and ask for deletion in writing."""
    return [
        PlanStep(
            "collections", f"Resolve the unpaid {money(c.amount)} collection from {c.agency}.", IMPACT["collections"]
        )
        for c in report.collections
        if c.status == "unpaid"
    ]


def _late_steps(report: CreditReport) -> list[PlanStep]:
    """Recent lates: every on-time month from now on dilutes them."""
    late = [t for t in report.tradelines if t.status == "open" and set(t.payment_history[:12]) - {"OK"}]
    return [
        PlanStep(
            "lates", f"Pay {account_name(t)} on time every month; set up autopay for the minimum.", IMPACT["lates"]
        )
        for t in late
    ]


def _utilization_steps(report: CreditReport) -> list[PlanStep]:
    """High utilization: the dollar amount that brings it under 30% (or 10%)."""
    utilization = report.revolving_utilization()
    if utilization is None or utilization < IDEAL_UTILIZATION:
        return []
    open_revolving = [t for t in report.tradelines if t.is_revolving and t.status == "open"]
    limit = sum(t.credit_limit or 0 for t in open_revolving)
    balance = sum(t.balance for t in open_revolving)
    target = TARGET_UTILIZATION if utilization >= TARGET_UTILIZATION else IDEAL_UTILIZATION
    pay_down = int(math.ceil((balance - target * limit) / 10) * 10)
    action = (
        f"Pay your card balances down by {money(pay_down)} to bring utilization from "
        f"{utilization:.0%} to under {target:.0%}."
    )
    return [PlanStep("utilization", action, IMPACT["utilization"] if target == TARGET_UTILIZATION else 15)]


def _inquiry_steps(report: CreditReport) -> list[PlanStep]:
    """Several recent hard inquiries: pause new applications."""
    recent = [i for i in report.inquiries if i.date >= report.report_date - timedelta(days=365)]
    if len(recent) < 2:
        return []
    action = f"Avoid new credit applications for a while: {len(recent)} hard inquiries came in the last 12 months."
    return [PlanStep("inquiries", action, IMPACT["inquiries"])]


def _age_steps(report: CreditReport) -> list[PlanStep]:
    """Keep the oldest card open: closing it shortens history and cuts available credit."""
    cards = [t for t in report.tradelines if t.is_revolving and t.status == "open"]
    if not cards:
        return []
    oldest = min(cards, key=lambda t: t.opened)
    action = f"Keep {account_name(oldest)} open, opened {oldest.opened.isoformat()}: it anchors your credit history."
    return [PlanStep("age", action, IMPACT["age"])]
