"""What changed between two credit-report snapshots, as `Good:- ...` / `Bad:- ...` facts.

This deterministic diff is the source of truth: the runtime shows its facts, and the
extractor's output is checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from tools.credit import CreditReport, Tradeline

KIND_LABELS = {
    "credit_card": "credit card",
    "retail_card": "store card",
    "heloc": "home equity line",
    "auto_loan": "auto loan",
    "student_loan": "student loan",
    "mortgage": "mortgage",
    "personal_loan": "personal loan",
}
AGE_MILESTONES_YEARS = (2, 5, 10, 20)
BALANCE_NOISE = 50  # smaller balance moves are ordinary monthly churn, not worth a fact


Polarity = Literal["Good", "Bad"]


def polarity(good: bool) -> Polarity:
    """`Good` when a change helps the customer's credit, else `Bad`."""
    return "Good" if good else "Bad"


@dataclass(frozen=True)
class Fact:
    """One change, good or bad for the customer's credit."""

    polarity: Polarity
    text: str

    @property
    def line(self) -> str:
        """The extractor's format: `Good:- text` or `Bad:- text`."""
        return f"{self.polarity}:- {self.text}"


def money(amount: int) -> str:
    """Format whole dollars as $1,234."""
    return f"${amount:,}"


def account_name(line: Tradeline) -> str:
    """How an account is named in facts: its kind and masked creditor."""
    return f"the {KIND_LABELS[line.kind]} with {line.creditor}"


def diff_reports(old: CreditReport, new: CreditReport) -> list[Fact]:
    """Every change from `old` to `new` that affects the customer's credit, score first."""
    facts = _score_change(old, new) + _utilization_change(old, new)
    old_lines = {t.id: t for t in old.tradelines}
    months = months_between(old.report_date, new.report_date)
    for line in new.tradelines:
        facts += _tradeline_changes(old_lines.get(line.id), line, months)
    facts += _inquiry_changes(old, new) + _collection_changes(old, new) + _public_record_changes(old, new)
    return facts + _age_milestones(old, new)


def _score_change(old: CreditReport, new: CreditReport) -> list[Fact]:
    """The score's move, in points."""
    delta = new.score - old.score
    if delta == 0:
        return [Fact("Good", f"Your {new.score_model} score held steady at {new.score}.")]
    verb = "rose" if delta > 0 else "fell"
    points = "point" if abs(delta) == 1 else "points"
    text = f"Your {new.score_model} score {verb} {abs(delta)} {points}, from {old.score} to {new.score}."
    return [Fact(polarity(delta > 0), text)]


def _utilization_change(old: CreditReport, new: CreditReport) -> list[Fact]:
    """Overall revolving utilization, in whole percent."""
    before, after = old.revolving_utilization(), new.revolving_utilization()
    if before is None or after is None or round(before * 100) == round(after * 100):
        return []
    verb = "fell" if after < before else "rose"
    return [Fact(polarity(after < before), f"Your credit card utilization {verb} from {before:.0%} to {after:.0%}.")]


def _tradeline_changes(old: Tradeline | None, new: Tradeline, months: int) -> list[Fact]:
    """A new account, or the changes to an existing one."""
    name = account_name(new)
    if old is None:
        return [Fact("Bad", f"A new account was opened: {name} on {new.opened.isoformat()}.")]
    facts = _status_change(old, new, name) + _limit_change(old, new, name) + _balance_change(old, new, name)
    for code in sorted(set(new.payment_history[:months]) - {"OK"}):
        facts.append(Fact("Bad", f"A {code}-day late payment was reported on {name}."))
    return facts


def _status_change(old: Tradeline, new: Tradeline, name: str) -> list[Fact]:
    """Closed, paid off or charged off."""
    if old.status == new.status:
        return []
    if new.status == "paid":
        return [Fact("Good", f"You paid off {name}.")]
    if new.status == "charged_off":
        return [Fact("Bad", f"{name[0].upper()}{name[1:]} was charged off.")]
    if new.status == "closed" and new.is_revolving:
        return [Fact("Bad", f"{name[0].upper()}{name[1:]} was closed, which lowers your available credit.")]
    return [Fact(polarity(new.status == "open"), f"{name[0].upper()}{name[1:]} is now {new.status}.")]


def _limit_change(old: Tradeline, new: Tradeline, name: str) -> list[Fact]:
    """A credit limit raised or cut."""
    before, after = old.credit_limit, new.credit_limit
    if new.status != "open" or before is None or after is None or before == after:
        return []
    verb = "rose" if after > before else "was cut"
    return [Fact(polarity(after > before), f"The limit on {name} {verb} from {money(before)} to {money(after)}.")]


def _balance_change(old: Tradeline, new: Tradeline, name: str) -> list[Fact]:
    """A revolving balance paid down or run up by more than everyday noise."""
    delta = new.balance - old.balance
    if not new.is_revolving or abs(delta) <= BALANCE_NOISE or new.status != "open":
        return []
    verb = "fell" if delta < 0 else "rose"
    return [Fact(polarity(delta < 0), f"The balance on {name} {verb} by {money(abs(delta))} to {money(new.balance)}.")]


def _inquiry_changes(old: CreditReport, new: CreditReport) -> list[Fact]:
    """Hard inquiries that appeared since the last report."""
    seen = set(old.inquiries)
    return [
        Fact("Bad", f"A hard inquiry from {i.creditor} was added on {i.date.isoformat()}.")
        for i in new.inquiries
        if i not in seen
    ]


def _collection_changes(old: CreditReport, new: CreditReport) -> list[Fact]:
    """Collections added, paid or removed."""
    before = {c.id: c for c in old.collections}
    after = {c.id: c for c in new.collections}
    facts = []
    for cid, item in after.items():
        what = f"the {money(item.amount)} collection from {item.agency} (original creditor {item.original_creditor})"
        if cid not in before:
            facts.append(Fact("Bad", f"A new collection was reported: {what}."))
        elif before[cid].status == "unpaid" and item.status == "paid":
            facts.append(Fact("Good", f"You paid {what}."))
    for cid in before.keys() - after.keys():
        item = before[cid]
        facts.append(Fact("Good", f"The {money(item.amount)} collection from {item.agency} was removed."))
    return facts


def _public_record_changes(old: CreditReport, new: CreditReport) -> list[Fact]:
    """Bankruptcies, judgments and liens that appeared."""
    seen = set(old.public_records)
    return [
        Fact("Bad", f"A {r.kind.replace('_', ' ')} of {money(r.amount)} filed on {r.filed.isoformat()} was added.")
        for r in new.public_records
        if r not in seen
    ]


def _age_milestones(old: CreditReport, new: CreditReport) -> list[Fact]:
    """The oldest open account crossing a length-of-history milestone."""
    opened = [t.opened for t in new.tradelines if t.status == "open"]
    if not opened:
        return []
    oldest = min(opened)
    before, after = years_between(oldest, old.report_date), years_between(oldest, new.report_date)
    crossed = [m for m in AGE_MILESTONES_YEARS if before < m <= after]
    return [Fact("Good", f"Your oldest open account is now over {crossed[-1]} years old.")] if crossed else []


def describe_report(report: CreditReport) -> list[Fact]:
    """Facts about a single snapshot, for customers with no earlier report to compare."""
    facts = [Fact(polarity(report.score >= 670), f"Your {report.score_model} score is {report.score}.")]
    utilization = report.revolving_utilization()
    if utilization is not None:
        facts.append(Fact(polarity(utilization < 0.3), f"Your credit card utilization is {utilization:.0%}."))
    late = [t for t in report.tradelines if set(t.payment_history) - {"OK"}]
    for line in late:
        facts.append(Fact("Bad", f"Late payments appear on {account_name(line)} in the last 24 months."))
    for item in report.collections:
        if item.status == "unpaid":
            facts.append(Fact("Bad", f"An unpaid {money(item.amount)} collection from {item.agency} is on file."))
    return facts


def months_between(start: date, end: date) -> int:
    """Whole calendar months from start to end."""
    return (end.year - start.year) * 12 + end.month - start.month


def years_between(start: date, end: date) -> int:
    """Whole years from start to end."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))
