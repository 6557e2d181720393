"""The demo customers: 50 synthetic people, each with two or three credit-report snapshots."""

from __future__ import annotations

import random
from datetime import date

from tools.credit import CreditReport
from tools.credit_generator import generate_history
from tools.reports import ReportStore

FIRST_NAMES = ["Alice", "Bob", "Carmen", "Darius", "Elena", "Farid", "Grace", "Hiro", "Imani", "Jonas"]
LAST_NAMES = ["Moreno", "Okafor", "Lindqvist", "Patel", "Nguyen", "Schmidt", "Haddad", "Kowalski", "Reyes", "Tanaka"]
LATEST_REPORT = date(2026, 9, 15)
GAP_MONTHS = 6


def demo_customers(count: int = 50, seed: int = 7) -> list[tuple[str, str, list[CreditReport]]]:
    """(id, name, reports oldest first) for `count` customers; the same seed gives the same data."""
    return [_customer(index, random.Random(seed * 10_007 + index)) for index in range(1, count + 1)]


def seed_store(store: ReportStore, count: int = 50, seed: int = 7) -> int:
    """Write the demo customers into the store, replacing their earlier history; returns how many."""
    customers = demo_customers(count, seed)
    for customer_id, name, reports in customers:
        store.save_customer(customer_id, name, reports, replace_history=True)
    return len(customers)


def _customer(index: int, rng: random.Random) -> tuple[str, str, list[CreditReport]]:
    """One customer; every fifth has a third, older snapshot."""
    first, last = FIRST_NAMES[(index - 1) % 10], LAST_NAMES[(index * 7) % 10]
    snapshots = 3 if index % 5 == 0 else 2
    first_date = LATEST_REPORT.replace(year=LATEST_REPORT.year - 1) if snapshots == 3 else date(2026, 3, 15)
    reports = generate_history(rng, f"{first} {last[0]}.", first_date, GAP_MONTHS, snapshots)
    return f"C{index:04d}", f"{first} {last}", reports
