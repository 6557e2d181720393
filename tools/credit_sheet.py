"""The extractor's input: two report snapshots side by side, one line per item, old -> new.

Code does the arithmetic (differences, percentages, ages, up/down) because small models cannot
subtract reliably; the extractor decides which changes matter, whether each is good or bad, and
states them. Every figure it may state is printed here, so its facts can be checked against it.
"""

from __future__ import annotations

from tools.credit import Collection, CreditReport, Tradeline
from tools.credit_diff import AGE_MILESTONES_YEARS, account_name, money, months_between, years_between

SHEET_MAX_ACCOUNTS = 20  # a real file rarely has more; keeps the prompt inside the model's context


def comparison_sheet(old: CreditReport, new: CreditReport) -> str:
    """Render the older and newer snapshot as one old -> new sheet."""
    months = months_between(old.report_date, new.report_date)
    lines = [
        f"reports: {old.report_date.isoformat()} -> {new.report_date.isoformat()} ({months} months)",
        f"score ({new.score_model}): {old.score} -> {new.score} ({_signed(new.score - old.score)})",
        _utilization_line(old, new),
        _oldest_account_line(old, new),
        "accounts:",
    ]
    lines += _account_lines(old, new, months)
    lines += _inquiry_lines(old, new) + _collection_lines(old, new) + _public_record_lines(old, new)
    return "\n".join(lines)


def _signed(value: int) -> str:
    """+12, -3 or 0."""
    return f"{value:+d}" if value else "0"


def _direction(before: float, after: float) -> str:
    """Up, down or same."""
    return "up" if after > before else "down" if after < before else "same"


def _utilization_line(old: CreditReport, new: CreditReport) -> str:
    """Overall revolving utilization, in whole percent as the facts state it."""
    before, after = old.revolving_utilization(), new.revolving_utilization()
    if before is None or after is None:
        return "utilization: n/a"
    rounded = round(before * 100), round(after * 100)
    return f"utilization: {before:.0%} -> {after:.0%} ({_direction(*rounded)})"


def _oldest_account_line(old: CreditReport, new: CreditReport) -> str:
    """Age in whole years of the newer report's oldest open account, at both report dates."""
    opened = [t.opened for t in new.tradelines if t.status == "open"]
    if not opened:
        return "oldest open account: none"
    oldest = min(opened)
    before, after = years_between(oldest, old.report_date), years_between(oldest, new.report_date)
    line = f"oldest open account: {before} years -> {after} years"
    crossed = [m for m in AGE_MILESTONES_YEARS if before < m <= after]
    # Within a year the milestone is the new age itself; over longer gaps, name it so it is on the sheet.
    return line + (f" (passed {crossed[-1]} years)" if crossed and crossed[-1] != after else "")


def _account_lines(old: CreditReport, new: CreditReport, months: int) -> list[str]:
    """One line per account; past SHEET_MAX_ACCOUNTS, unchanged accounts are summed up in one line."""
    before = {t.id: t for t in old.tradelines}
    lines = [_account_line(before.get(t.id), t, months) for t in new.tradelines]
    if len(lines) <= SHEET_MAX_ACCOUNTS:
        return lines
    changed = [line for line in lines if not line.endswith(": unchanged")]
    return changed + [f"- {len(lines) - len(changed)} other accounts: unchanged"]


def _account_line(old: Tradeline | None, new: Tradeline, months: int) -> str:
    """One account: new, unchanged, or what moved (status, limit, card balance, late codes)."""
    name = account_name(new)
    if old is None:
        return f"- {name}: NEW, opened {new.opened.isoformat()}"
    parts = [f"status {old.status} -> {new.status}"] if old.status != new.status else []
    if old.credit_limit != new.credit_limit and old.credit_limit is not None and new.credit_limit is not None:
        parts.append(f"limit {_money_move(old.credit_limit, new.credit_limit)}")
    # Installment balances fall every month by design; only card balances say something.
    if new.is_revolving and old.balance != new.balance:
        parts.append(f"balance {_money_move(old.balance, new.balance)}")
    lates = sorted(set(new.payment_history[:months]) - {"OK"})
    if lates:
        parts.append(f"new lates: {', '.join(lates)}")
    return f"- {name}: {'; '.join(parts) if parts else 'unchanged'}"


def _money_move(before: int, after: int) -> str:
    """$1,000 -> $1,500 (up $500)."""
    return f"{money(before)} -> {money(after)} ({_direction(before, after)} {money(abs(after - before))})"


def _inquiry_lines(old: CreditReport, new: CreditReport) -> list[str]:
    """Hard inquiries that are on the newer report only."""
    seen = set(old.inquiries)
    added = [f"{i.creditor} on {i.date.isoformat()}" for i in new.inquiries if i not in seen]
    return [f"new inquiries: {'; '.join(added) if added else 'none'}"]


def _collection_lines(old: CreditReport, new: CreditReport) -> list[str]:
    """Every collection on either report, with its status old -> new."""
    before = {c.id: c for c in old.collections}
    after = {c.id: c for c in new.collections}
    lines = []
    for cid in sorted(before.keys() | after.keys()):
        item = after.get(cid) or before[cid]
        was = before[cid].status if cid in before else "none"
        now = after[cid].status if cid in after else "removed"
        lines.append(f"- {_collection_name(item)}: {was} -> {now}")
    return ["collections:" + ("" if lines else " none")] + lines


def _collection_name(item: Collection) -> str:
    """The $420 collection from AGENCY (original creditor X)."""
    return f"the {money(item.amount)} collection from {item.agency} (original creditor {item.original_creditor})"


def _public_record_lines(old: CreditReport, new: CreditReport) -> list[str]:
    """Public records that are on the newer report only."""
    seen = set(old.public_records)
    added = [
        f"{r.kind.replace('_', ' ')} of {money(r.amount)} filed on {r.filed.isoformat()}"
        for r in new.public_records
        if r not in seen
    ]
    return [f"new public records: {'; '.join(added) if added else 'none'}"]
