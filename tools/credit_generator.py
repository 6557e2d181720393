"""Synthetic credit-report histories, deterministic by seed: a first file, then life events between snapshots.

Scores come from `estimate_score`, so every snapshot's score is consistent with its own factors.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from tools.credit import CreditReport
from tools.credit_diff import AGE_MILESTONES_YEARS
from tools.credit_score import estimate_score

CARD_ISSUERS = ["NORTHSTAR CARD", "LARKSPUR BANK", "BLUEWAVE CREDIT", "CITRINE FINANCIAL", "ASPEN ONE"]
STORES = ["MERIDIAN RETAIL", "HOMEPORT STORES", "TRAILHEAD OUTFITTERS"]
LENDERS = ["SUMMIT AUTO FINANCE", "FEDLOAN SERVICING", "HARBOR MORTGAGE", "OAKTREE LENDING", "LARKSPUR BANK"]
AGENCIES = ["PORTFOLIO RECOVERY", "MIDLAND CREDIT", "CAVALRY SPV", "ENHANCED RECOVERY"]
ORIGINAL_CREDITORS = ["CITY UTILITIES", "MERCY CLINIC", "SPRINTLINE", "BRIGHTPATH TELECOM"]
LOAN_AMOUNTS = {
    "auto_loan": (9_000, 45_000),
    "student_loan": (8_000, 60_000),
    "mortgage": (120_000, 480_000),
    "personal_loan": (2_000, 20_000),
}
CARD_LIMITS = [500, 1_000, 1_500, 2_500, 4_000, 5_000, 8_000, 12_000, 18_000, 25_000]
# Each event is roughly as likely as any other, so the extractor sees every kind of change often.
EVENTS = (
    "pay_down",
    "run_up",
    "new_card",
    "new_loan",
    "late",
    "collection",
    "paid_collection",
    "removed_collection",
    "inquiry",
    "limit_up",
    "limit_cut",
    "close_card",
    "charge_off",
    "public_record",
    "age_milestone",
    "quiet",
)


def generate_history(
    rng: random.Random, name: str, first_date: date, gap_months: int, snapshots: int = 2
) -> list[CreditReport]:
    """`snapshots` reports `gap_months` apart, oldest first, with 1-3 events between each pair."""
    if snapshots < 2 or gap_months < 1:
        raise ValueError("a history has at least 2 snapshots at least 1 month apart")
    dates = [_add_months(first_date, gap_months * n) for n in range(snapshots)]
    raw = _first_file(rng, name, first_date)
    plans = [rng.sample(EVENTS, rng.randint(1, 3)) for _ in range(snapshots - 1)]
    if "age_milestone" in plans[-1]:
        _near_milestone(raw, rng, dates[-2], dates[-1])
    reports = [_finish(raw, dates[0])]
    for events, previous, current in zip(plans, dates[:-1], dates[1:], strict=True):
        for event in events:
            apply_event(raw, event, rng, previous, current)
        _age_histories(raw, rng, gap_months)
        reports.append(_finish(raw, current))
    return reports


def _first_file(rng: random.Random, name: str, when: date) -> dict[str, Any]:
    """A plausible starting file: 1-4 cards, maybe loans, a few inquiries, rarely an old collection."""
    lines = [_card(rng, f"T{n}", when) for n in range(rng.randint(1, 4))]
    for n in range(rng.choices([0, 1, 2], weights=[3, 5, 2])[0]):
        lines.append(_loan(rng, f"L{n}", when))
    inquiries = [
        {"date": when - timedelta(days=rng.randint(20, 700)), "creditor": rng.choice(CARD_ISSUERS + LENDERS)}
        for _ in range(rng.randint(0, 3))
    ]
    collections = [_collection(rng, "K0", when, rng.randint(200, 900))] if rng.random() < 0.15 else []
    return {
        "bureau": rng.choice(["Equifax", "Experian", "TransUnion"]),
        "score_model": rng.choice(["FICO 8", "VantageScore 3.0"]),
        "personal": _personal(rng, name),
        "tradelines": lines,
        "inquiries": inquiries,
        "collections": collections,
        "public_records": [],
    }


def _personal(rng: random.Random, name: str) -> dict[str, Any]:
    """Masked identity: last four of the SSN, birth year, city and state."""
    return {
        "name": name,
        "ssn_last4": f"{rng.randint(0, 9999):04d}",
        "birth_year": rng.randint(1950, 2003),
        "address": rng.choice(["Portland, OR", "Austin, TX", "Columbus, OH", "Raleigh, NC", "Tucson, AZ"]),
    }


def _card(rng: random.Random, tid: str, when: date, opened: date | None = None) -> dict[str, Any]:
    """A bank card, store card or (rarely) home equity line, 0-95% used."""
    kind = rng.choices(["credit_card", "retail_card", "heloc"], weights=[8, 2, 1])[0]
    limit = rng.choice(CARD_LIMITS) * (4 if kind == "heloc" else 1)
    issuer = rng.choice(STORES if kind == "retail_card" else CARD_ISSUERS)
    balance = 0 if rng.random() < 0.15 else int(limit * rng.uniform(0.02, 0.95))
    return _tradeline(rng, tid, kind, issuer, when, opened, credit_limit=limit, balance=balance)


def _loan(rng: random.Random, tid: str, when: date, opened: date | None = None) -> dict[str, Any]:
    """An installment loan part-way repaid."""
    kind = rng.choice(list(LOAN_AMOUNTS))
    low, high = LOAN_AMOUNTS[kind]
    amount = rng.randrange(low, high, 500)
    balance = amount if opened else int(amount * rng.uniform(0.2, 0.95))
    return _tradeline(rng, tid, kind, rng.choice(LENDERS), when, opened, original_amount=amount, balance=balance)


def _tradeline(
    rng: random.Random, tid: str, kind: str, creditor: str, when: date, opened: date | None, **amounts: int
) -> dict[str, Any]:
    """An open account, opened 1-22 years before `when` unless given, mostly paid on time."""
    history = ["OK"] * 24
    if opened is None and rng.random() < 0.15:
        history[rng.randint(3, 23)] = rng.choice(["30", "30", "60", "90"])
    return {
        "id": tid,
        "kind": kind,
        "creditor": f"{creditor} ****{rng.randint(1000, 9999)}",
        "opened": opened or when - timedelta(days=rng.randint(365, 22 * 365)),
        "status": "open",
        "payment_history": history if opened is None else [],
        "credit_limit": None,
        "original_amount": None,
        **amounts,
    }


def _collection(rng: random.Random, cid: str, before: date, amount: int) -> dict[str, Any]:
    """An unpaid collection reported up to four months before `before`."""
    return {
        "id": cid,
        "agency": rng.choice(AGENCIES),
        "original_creditor": rng.choice(ORIGINAL_CREDITORS),
        "amount": amount,
        "status": "unpaid",
        "reported": before - timedelta(days=rng.randint(5, 120)),
    }


def apply_event(raw: dict[str, Any], event: str, rng: random.Random, previous: date, current: date) -> None:
    """Mutate the raw report by one life event between the `previous` and `current` snapshot dates."""
    open_cards = [t for t in raw["tradelines"] if t["credit_limit"] is not None and t["status"] == "open"]
    card = rng.choice(open_cards) if open_cards else None
    between = previous + timedelta(days=rng.randint(1, max(1, (current - previous).days - 1)))
    if card is not None and event in CARD_EVENTS:
        CARD_EVENTS[event](card, rng, len(open_cards))
    elif event in FILE_EVENTS:
        FILE_EVENTS[event](raw, rng, between)


def _pay_down(card: dict[str, Any], rng: random.Random, _: int) -> None:
    """A card balance paid down by 40-100%."""
    card["balance"] = int(card["balance"] * rng.uniform(0.0, 0.6))


def _run_up(card: dict[str, Any], rng: random.Random, _: int) -> None:
    """A card balance run up by 10-50% of the limit."""
    card["balance"] = min(card["credit_limit"], card["balance"] + int(card["credit_limit"] * rng.uniform(0.1, 0.5)))


def _limit_up(card: dict[str, Any], rng: random.Random, _: int) -> None:
    """A limit raised by a quarter to double."""
    card["credit_limit"] = int(card["credit_limit"] * rng.choice([1.25, 1.5, 2.0]))


def _limit_cut(card: dict[str, Any], rng: random.Random, _: int) -> None:
    """A limit cut by a quarter or half, never below the balance."""
    card["credit_limit"] = max(card["balance"], 500, int(card["credit_limit"] * rng.choice([0.5, 0.75])) // 100 * 100)


def _close_card(card: dict[str, Any], rng: random.Random, open_cards: int) -> None:
    """A card closed and paid off (never the last open card)."""
    if open_cards > 1:
        card["status"], card["balance"] = "closed", 0


def _late(card: dict[str, Any], rng: random.Random, _: int) -> None:
    """A late payment to be reported in the coming months."""
    card["pending_late"] = rng.choice(["30", "30", "60", "90"])


def _charge_off(card: dict[str, Any], rng: random.Random, _: int) -> None:
    """A card charged off after months of missed payments."""
    # Months of missed payments end in a charge-off; the account stops reporting new months.
    card["status"] = "charged_off"
    card["payment_history"] = ["120", "90", "60", "30"] + card["payment_history"][:20]


def _new_card(raw: dict[str, Any], rng: random.Random, when: date) -> None:
    """A new card and the hard inquiry its application made."""
    new = _card(rng, f"T{len(raw['tradelines'])}", when, opened=when)
    raw["tradelines"].append(new)
    raw["inquiries"].append({"date": when, "creditor": new["creditor"].split(" ****")[0]})


def _new_loan(raw: dict[str, Any], rng: random.Random, when: date) -> None:
    """A new installment loan and its hard inquiry."""
    new = _loan(rng, f"L{len(raw['tradelines'])}", when, opened=when)
    raw["tradelines"].append(new)
    raw["inquiries"].append({"date": when, "creditor": new["creditor"].split(" ****")[0]})


def _inquiry(raw: dict[str, Any], rng: random.Random, when: date) -> None:
    """A hard inquiry without a new account."""
    raw["inquiries"].append({"date": when, "creditor": rng.choice(CARD_ISSUERS + LENDERS)})


def _new_collection(raw: dict[str, Any], rng: random.Random, when: date) -> None:
    """An unpaid debt placed with a collection agency."""
    amount = rng.choice([95, 180, 240, 420, 615, 760, 1_350, 2_200])
    # Dated ids: a removed collection's id is never given to a new one.
    raw["collections"].append(_collection(rng, f"K{when:%Y%m%d}", when, amount))


def _paid_collection(raw: dict[str, Any], rng: random.Random, when: date) -> None:
    """An unpaid collection paid."""
    unpaid = [c for c in raw["collections"] if c["status"] == "unpaid"]
    if unpaid:
        rng.choice(unpaid)["status"] = "paid"


def _removed_collection(raw: dict[str, Any], rng: random.Random, when: date) -> None:
    """A collection deleted from the file."""
    if raw["collections"]:
        raw["collections"].remove(rng.choice(raw["collections"]))


def _public_record(raw: dict[str, Any], rng: random.Random, when: date) -> None:
    """A judgment, tax lien or bankruptcy filed."""
    kind = rng.choice(["judgment", "tax_lien", "bankruptcy"])
    raw["public_records"].append({"kind": kind, "filed": when, "amount": rng.randrange(1_000, 40_000, 50)})


CARD_EVENTS = {
    "pay_down": _pay_down,
    "run_up": _run_up,
    "limit_up": _limit_up,
    "limit_cut": _limit_cut,
    "close_card": _close_card,
    "late": _late,
    "charge_off": _charge_off,
}
FILE_EVENTS = {
    "new_card": _new_card,
    "new_loan": _new_loan,
    "inquiry": _inquiry,
    "collection": _new_collection,
    "paid_collection": _paid_collection,
    "removed_collection": _removed_collection,
    "public_record": _public_record,
}


def _near_milestone(raw: dict[str, Any], rng: random.Random, previous: date, current: date) -> None:
    """Backdate the oldest account so it crosses an age milestone between the two snapshots."""
    oldest = min(raw["tradelines"], key=lambda t: t["opened"])
    others = [(current - t["opened"]).days / 365.25 for t in raw["tradelines"] if t is not oldest]
    # Only a milestone beyond every other account's age keeps this account the oldest.
    reachable = [years for years in AGE_MILESTONES_YEARS if years > max(others, default=0) + 1]
    if reachable:
        anniversary_after = previous + timedelta(days=rng.randint(1, max(1, (current - previous).days - 1)))
        oldest["opened"] = _add_months(anniversary_after, -12 * rng.choice(reachable))


def _age_histories(raw: dict[str, Any], rng: random.Random, months: int) -> None:
    """Months pass: prepend one payment code per month to each open account, a pending late among them."""
    for line in raw["tradelines"]:
        pending = line.pop("pending_late", None)
        if line["status"] != "open":
            continue
        if line["credit_limit"] is not None and line["balance"] and rng.random() < 0.5:
            # Everyday spending and payments move card balances a little without telling anything.
            line["balance"] = max(0, min(line["credit_limit"], line["balance"] + rng.randint(-45, 45)))
        codes = ["OK"] * months
        if pending:
            codes[rng.randint(0, min(2, months - 1))] = pending
        line["payment_history"] = (codes + line["payment_history"])[:24]


def _finish(raw: dict[str, Any], report_date: date) -> CreditReport:
    """Validate a snapshot of the raw dict at `report_date` with the score its factors imply."""
    draft = CreditReport.model_validate({**raw, "report_date": report_date, "score": 700})
    return draft.model_copy(update={"score": estimate_score(draft)}, deep=True)


def _add_months(day: date, months: int) -> date:
    """The same day of month `months` later (or earlier), clamped to the 28th so it always exists."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, min(day.day, 28))
