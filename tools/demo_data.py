"""Deterministic synthetic customers, each with two credit-report snapshots six months apart."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from tools.credit import CreditReport
from tools.credit_score import estimate_score
from tools.reports import ReportStore

FIRST_NAMES = ["Alice", "Bob", "Carmen", "Darius", "Elena", "Farid", "Grace", "Hiro", "Imani", "Jonas"]
LAST_NAMES = ["Moreno", "Okafor", "Lindqvist", "Patel", "Nguyen", "Schmidt", "Haddad", "Kowalski", "Reyes", "Tanaka"]
CARD_ISSUERS = ["NORTHSTAR CARD", "LARKSPUR BANK", "BLUEWAVE CREDIT", "CITRINE FINANCIAL", "MERIDIAN RETAIL"]
LENDERS = ["SUMMIT AUTO FINANCE", "FEDLOAN SERVICING", "HARBOR MORTGAGE", "OAKTREE LENDING"]
AGENCIES = ["PORTFOLIO RECOVERY", "MIDLAND CREDIT", "CAVALRY SPV"]
FIRST_REPORT, SECOND_REPORT = date(2026, 3, 15), date(2026, 9, 15)
EVENTS = [
    "pay_down",
    "run_up",
    "new_card",
    "late",
    "collection",
    "inquiry",
    "limit_up",
    "close_card",
    "paid_collection",
]


def demo_customers(count: int = 50, seed: int = 7) -> list[tuple[str, str, list[CreditReport]]]:
    """(id, name, [older, newer]) for `count` customers; the same seed gives the same data."""
    return [_customer(index, random.Random(seed * 10_007 + index)) for index in range(1, count + 1)]


def seed_store(store: ReportStore, count: int = 50, seed: int = 7) -> int:
    """Write the demo customers into the store; returns how many were written."""
    customers = demo_customers(count, seed)
    for customer_id, name, reports in customers:
        store.add_customer(customer_id, name)
        for report in reports:
            store.add_report(customer_id, report)
    return len(customers)


def _customer(index: int, rng: random.Random) -> tuple[str, str, list[CreditReport]]:
    """One customer: a first snapshot, 1-3 events, and the second snapshot."""
    first, last = FIRST_NAMES[(index - 1) % 10], LAST_NAMES[(index * 7) % 10]
    raw = _first_snapshot(rng, f"{first} {last[0]}.")
    older = _finish(raw, FIRST_REPORT)
    for event in rng.sample(EVENTS, rng.randint(1, 3)):
        _apply_event(raw, event, rng)
    _age_histories(raw, rng)
    newer = _finish(raw, SECOND_REPORT)
    return f"C{index:04d}", f"{first} {last}", [older, newer]


def _first_snapshot(rng: random.Random, name: str) -> dict[str, Any]:
    """A plausible starting file: 1-3 cards, maybe an installment loan, a few inquiries."""
    lines = [_card(rng, n) for n in range(rng.randint(1, 3))]
    if rng.random() < 0.7:
        kind = rng.choice(["auto_loan", "student_loan", "mortgage", "personal_loan"])
        amount = {"auto_loan": 28_000, "student_loan": 35_000, "mortgage": 310_000, "personal_loan": 12_000}[kind]
        lines.append(
            _tradeline(
                rng,
                f"L{len(lines)}",
                kind,
                rng.choice(LENDERS),
                original_amount=amount,
                balance=int(amount * rng.uniform(0.3, 0.9)),
            )
        )
    inquiries = [
        {"date": FIRST_REPORT - timedelta(days=rng.randint(20, 700)), "creditor": rng.choice(CARD_ISSUERS)}
        for _ in range(rng.randint(0, 2))
    ]
    personal = {
        "name": name,
        "ssn_last4": f"{rng.randint(0, 9999):04d}",
        "birth_year": rng.randint(1955, 2002),
        "address": rng.choice(["Portland, OR", "Austin, TX", "Columbus, OH", "Raleigh, NC"]),
    }
    return {
        "bureau": rng.choice(["Equifax", "Experian", "TransUnion"]),
        "score_model": rng.choice(["FICO 8", "VantageScore 3.0"]),
        "personal": personal,
        "tradelines": lines,
        "inquiries": inquiries,
        "collections": [],
        "public_records": [],
    }


def _card(rng: random.Random, n: int) -> dict[str, Any]:
    """A credit card with a limit of $1,000-$25,000 and 5-90% utilization."""
    limit = rng.choice([1_000, 2_500, 5_000, 8_000, 12_000, 25_000])
    return _tradeline(
        rng,
        f"T{n}",
        "credit_card",
        rng.choice(CARD_ISSUERS),
        credit_limit=limit,
        balance=int(limit * rng.uniform(0.05, 0.9)),
    )


def _tradeline(rng: random.Random, tid: str, kind: str, creditor: str, **amounts: int) -> dict[str, Any]:
    """An open account, opened 1-15 years before the first report, mostly paid on time."""
    history = ["OK"] * 24
    if rng.random() < 0.15:
        history[rng.randint(3, 23)] = rng.choice(["30", "60"])
    opened = FIRST_REPORT - timedelta(days=rng.randint(365, 15 * 365))
    return {
        "id": tid,
        "kind": kind,
        "creditor": f"{creditor} ****{rng.randint(1000, 9999)}",
        "opened": opened,
        "status": "open",
        "payment_history": history,
        "credit_limit": None,
        "original_amount": None,
        **amounts,
    }


def _apply_event(raw: dict[str, Any], event: str, rng: random.Random) -> None:
    """Mutate the raw report by one life event between the snapshots."""
    cards = [t for t in raw["tradelines"] if t["kind"] == "credit_card" and t["status"] == "open"]
    card = rng.choice(cards) if cards else None
    if event == "pay_down" and card:
        card["balance"] = int(card["balance"] * rng.uniform(0.1, 0.5))
    elif event == "run_up" and card:
        card["balance"] = min(card["credit_limit"], int(card["balance"] + card["credit_limit"] * 0.4))
    elif event == "limit_up" and card:
        card["credit_limit"] = int(card["credit_limit"] * 1.5)
    elif event == "close_card" and card and len(cards) > 1:
        card["status"], card["balance"] = "closed", 0
    elif event == "late" and card:
        card["pending_late"] = rng.choice(["30", "60"])
    elif event == "new_card":
        new = _card(rng, len(raw["tradelines"]))
        new["opened"] = SECOND_REPORT - timedelta(days=rng.randint(20, 150))
        raw["tradelines"].append(new)
        raw["inquiries"].append({"date": new["opened"], "creditor": new["creditor"].split(" ****")[0]})
    elif event == "inquiry":
        raw["inquiries"].append(
            {"date": SECOND_REPORT - timedelta(days=rng.randint(10, 150)), "creditor": rng.choice(LENDERS)}
        )
    elif event == "collection":
        raw["collections"].append(
            {
                "id": f"K{len(raw['collections'])}",
                "agency": rng.choice(AGENCIES),
                "original_creditor": rng.choice(["CITY UTILITIES", "MERCY CLINIC", "SPRINTLINE"]),
                "amount": rng.choice([180, 420, 760, 1_350]),
                "status": "unpaid",
                "reported": SECOND_REPORT - timedelta(days=rng.randint(15, 120)),
            }
        )
    elif event == "paid_collection" and raw["collections"]:
        raw["collections"][0]["status"] = "paid"


def _age_histories(raw: dict[str, Any], rng: random.Random) -> None:
    """Six months pass: prepend six payment codes to each open account, a pending late among them."""
    for line in raw["tradelines"]:
        if line["status"] != "open":
            continue
        months = ["OK"] * 6
        if "pending_late" in line:
            months[rng.randint(0, 2)] = line.pop("pending_late")
        line["payment_history"] = (months + line["payment_history"])[:24]


def _finish(raw: dict[str, Any], report_date: date) -> CreditReport:
    """Validate a snapshot of the raw dict at `report_date` and give it the score its factors imply."""
    draft = CreditReport.model_validate({**raw, "report_date": report_date, "score": 700})
    return draft.model_copy(update={"score": estimate_score(draft)})
