"""Demo ledgers: checking and savings, cards, 90 days of transactions and scheduled transfers per customer.

Deterministic by seed and fixed in time (the newest day is LEDGER_END), like the demo credit reports.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from tools.accounts import AccountStore

LEDGER_END = date(2026, 11, 30)
DAYS = 90
MERCHANTS = [  # (name, low, high) in dollars
    ("Amazon", 12, 180),
    ("Whole Foods", 25, 140),
    ("Shell", 30, 70),
    ("Netflix", 15, 23),
    ("Uber", 9, 45),
    ("Starbucks", 4, 12),
    ("Target", 18, 160),
    ("Costco", 60, 320),
    ("Delta Air Lines", 240, 780),
    ("Apple", 1, 30),
    ("CVS Pharmacy", 6, 55),
    ("Home Depot", 20, 420),
]
EMPLOYERS = ["Acme Payroll", "Northwind Payroll", "Contoso Payroll", "Globex Payroll"]
LANDLORDS = ["Oakview Properties", "Maple Court Rentals", "Riverside Apartments"]


class Ledger:
    """Rows for one customer, built day by day, then written in one transaction."""

    def __init__(self, customer_id: str, rng: random.Random) -> None:
        """Start with the customer's two accounts and their cards."""
        self.customer_id, self.rng = customer_id, rng
        self.checking, self.savings = f"{customer_id}-CHK", f"{customer_id}-SAV"
        self.debit = f"{customer_id}-DEB"
        self.rows: list[tuple[str, str, str | None, str, str, str, int, str]] = []

    def add(self, day: date, description: str, category: str, cents: int, account: str = "", status: str = "") -> None:
        """Record one transaction (on checking unless told); the newest days' card payments are pending."""
        card = self.debit if category == "card_payment" else None
        status = status or ("pending" if card and (LEDGER_END - day).days < 2 else "posted")
        row_id = f"{self.customer_id}-T{len(self.rows) + 1:04d}"
        self.rows.append(
            (row_id, account or self.checking, card, day.isoformat(), description, category, cents, status)
        )


def seed_ledgers(store: AccountStore, customer_ids: list[str], seed: int = 7) -> int:
    """Write (replacing) each demo customer's ledger ("C0007" is the seventh); returns how many got one."""
    for customer_id in customer_ids:
        index = int(customer_id[1:])
        write_ledger(store, customer_id, random.Random(seed * 7_919 + index), index)
    return len(customer_ids)


def is_demo_id(customer_id: str) -> bool:
    """The demo customers' ids: "C" and four digits."""
    return len(customer_id) == 5 and customer_id[0] == "C" and customer_id[1:].isdigit()


def write_ledger(store: AccountStore, customer_id: str, rng: random.Random, index: int) -> None:
    """One customer's accounts, cards, transactions and scheduled transfers, in one transaction."""
    ledger = Ledger(customer_id, rng)
    fill_transactions(ledger)
    opening = {ledger.checking: rng.randint(800, 4_000) * 100, ledger.savings: rng.randint(2_000, 25_000) * 100}
    balances = {account: cents + posted_total(ledger, account) for account, cents in opening.items()}
    with store.transaction() as db:
        db.lock(f"ledger:{customer_id}")  # replicas seeding at the same start-up must not interleave
        clear_ledger(db, customer_id)
        db.executemany(
            "INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?)",
            [
                (ledger.checking, customer_id, "checking", "Everyday Checking", digits(rng), balances[ledger.checking]),
                (ledger.savings, customer_id, "savings", "High-Yield Savings", digits(rng), balances[ledger.savings]),
            ],
        )
        db.executemany("INSERT INTO cards VALUES (?, ?, ?, ?, ?, ?, ?)", demo_cards(ledger, index))
        db.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ledger.rows)
        db.executemany("INSERT INTO scheduled_transfers VALUES (?, ?, ?, ?, ?, ?, ?)", scheduled(ledger))


def fill_transactions(ledger: Ledger) -> None:
    """Paychecks, rent, card payments, savings transfers, a wire with its fee, a refund and a declined payment."""
    rng, start = ledger.rng, LEDGER_END - timedelta(days=DAYS - 1)
    employer, landlord = rng.choice(EMPLOYERS), rng.choice(LANDLORDS)
    pay, rent = rng.randint(1_800, 3_600) * 100, rng.randint(900, 2_200) * 100
    for offset in range(DAYS):
        day = start + timedelta(days=offset)
        if offset % 14 == 3:
            ledger.add(day, f"Direct deposit from {employer}", "direct_deposit", pay)
        if day.day == 1:
            ledger.add(day, f"Rent transfer to {landlord}", "transfer_out", -rent)
            ledger.add(day, "Transfer to High-Yield Savings", "internal", -20_000)
            ledger.add(day, "Transfer from Everyday Checking", "internal", 20_000, ledger.savings)
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            name, low, high = rng.choice(MERCHANTS)
            ledger.add(day, name, "card_payment", -rng.randint(low * 100, high * 100))
    add_one_offs(ledger, start)


def add_one_offs(ledger: Ledger, start: date) -> None:
    """The rarer items every demo customer has once: a wire and its fee, a refund, a declined payment."""
    rng = ledger.rng
    wire_day = start + timedelta(days=rng.randint(20, 70))
    ledger.add(wire_day, "Outgoing domestic wire to Coastal Title Co.", "transfer_out", -rng.randint(500, 3_000) * 100)
    ledger.add(wire_day, "Outgoing domestic wire fee", "fee", -2_500)
    ledger.add(start + timedelta(days=rng.randint(30, 80)), "Refund from Amazon", "refund", rng.randint(15, 90) * 100)
    name, low, high = rng.choice(MERCHANTS)
    day = start + timedelta(days=rng.randint(40, 85))
    ledger.add(day, name, "card_payment", -rng.randint(low * 100, high * 100), status="declined")
    ledger.add(start + timedelta(days=62), "Interest paid", "interest", rng.randint(5, 60) * 100, ledger.savings)


def demo_cards(ledger: Ledger, index: int) -> list[tuple[str, str, str, str, str, str, str | None]]:
    """A debit card for everyone (one in seven frozen); every other customer also has a credit card.

    Every ninth customer lost their debit card: it is cancelled and its replacement is in the mail.
    """
    rng, cid = ledger.rng, ledger.customer_id
    status = "frozen" if index % 7 == 3 else "active"
    cards: list[tuple[str, str, str, str, str, str, str | None]] = [
        (ledger.debit, cid, ledger.checking, "debit", digits(rng), status, None)
    ]
    if index % 9 == 4:
        cards[0] = (*cards[0][:5], "lost", None)
        arrives = (LEDGER_END + timedelta(days=5)).isoformat()
        cards.append((f"{cid}-DEB2", cid, ledger.checking, "debit", digits(rng), "shipped", arrives))
    if index % 2 == 0:
        cards.append((f"{cid}-CRD", cid, ledger.checking, "credit", digits(rng), "active", None))
    return cards


def scheduled(ledger: Ledger) -> list[tuple[str, str, str, str, int, str, str]]:
    """Next month's rent (from checking) and savings transfer."""
    rent = next(r for r in ledger.rows if r[5] == "transfer_out")
    landlord = rent[4].removeprefix("Rent transfer to ")
    runs_on = (LEDGER_END + timedelta(days=1)).isoformat()
    return [
        (f"{ledger.customer_id}-S1", ledger.customer_id, ledger.checking, landlord, -rent[6], runs_on, "scheduled"),
        (
            f"{ledger.customer_id}-S2",
            ledger.customer_id,
            ledger.checking,
            "High-Yield Savings",
            20_000,
            runs_on,
            "scheduled",
        ),
    ]


def posted_total(ledger: Ledger, account: str) -> int:
    """The sum of an account's posted and pending money (declined payments never moved)."""
    return sum(row[6] for row in ledger.rows if row[1] == account and row[7] != "declined")


def clear_ledger(db: object, customer_id: str) -> None:
    """Remove a customer's earlier ledger (a re-seed replaces it, like the credit history)."""
    for table, column in (
        ("transactions", "account_id"),
        ("cards", "customer_id"),
        ("accounts", "customer_id"),
        ("scheduled_transfers", "customer_id"),
    ):
        key = f"{customer_id}-%" if column == "account_id" else customer_id
        operator = "LIKE" if column == "account_id" else "="
        db.execute(f"DELETE FROM {table} WHERE {column} {operator} ?", (key,))  # type: ignore[attr-defined]


def digits(rng: random.Random) -> str:
    """Four digits for a masked account or card number."""
    return f"{rng.randint(0, 9999):04d}"
