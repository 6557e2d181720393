"""A transparent score model, so synthetic scores are consistent with the report's factors."""

from __future__ import annotations

from datetime import timedelta

from tools.credit import CreditReport

LATE_PENALTY = {"30": 45, "60": 65, "90": 85, "120": 100}


def estimate_score(report: CreditReport) -> int:
    """Score 300-850 from utilization, lates, collections, inquiries, age and mix (FICO-like weights)."""
    score = 725 - _utilization_penalty(report) - _late_penalty(report) - _derogatory_penalty(report)
    recent = [i for i in report.inquiries if i.date >= report.report_date - timedelta(days=365)]
    score -= 6 * len(recent)
    score += _age_bonus(report) + _mix_bonus(report)
    return max(300, min(850, score))


def _utilization_penalty(report: CreditReport) -> int:
    """Utilization above 10% costs up to ~150 points at 100%."""
    utilization = report.revolving_utilization()
    return 0 if utilization is None else int(max(0.0, min(utilization, 1.2) - 0.1) * 160)


def _late_penalty(report: CreditReport) -> int:
    """The worst late per account counts fully; recent lates (last 6 months) count 1.5x."""
    penalty = 0
    for line in report.tradelines:
        lates = [(i, code) for i, code in enumerate(line.payment_history) if code != "OK"]
        for month, code in lates[:1]:
            penalty += int(LATE_PENALTY[code] * (1.5 if month < 6 else 1.0))
    return penalty


def _derogatory_penalty(report: CreditReport) -> int:
    """Collections, charge-offs and public records."""
    unpaid = sum(1 for c in report.collections if c.status == "unpaid")
    paid = len(report.collections) - unpaid
    charged_off = sum(1 for t in report.tradelines if t.status == "charged_off")
    return 70 * unpaid + 25 * paid + 90 * charged_off + 120 * len(report.public_records)


def _age_bonus(report: CreditReport) -> int:
    """Three points per year of the oldest account, up to 25 years."""
    if not report.tradelines:
        return -40
    oldest = min(t.opened for t in report.tradelines)
    return 3 * min(25, (report.report_date - oldest).days // 365)


def _mix_bonus(report: CreditReport) -> int:
    """Both revolving and installment credit: a small bonus."""
    kinds = {t.is_revolving for t in report.tradelines}
    return 15 if kinds == {True, False} else 0
