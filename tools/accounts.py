"""The core-banking store (in the app DB beside the credit reports): accounts, cards, transactions.

Amounts are integer cents; a transaction's amount is signed (money out is negative). Reads are scoped to
one customer: a card or account that is not theirs is simply not found.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from tools.database import DbTransaction
from tools.migrate import open_database


@dataclass(frozen=True)
class Account:
    """A checking or savings account; only the last four digits of its number are kept."""

    id: str
    customer_id: str
    kind: str  # "checking" | "savings"
    name: str
    last4: str
    balance_cents: int

    @property
    def label(self) -> str:
        """How answers name it: "Everyday Checking ending 1234"."""
        return f"{self.name} ending {self.last4}"


@dataclass(frozen=True)
class Card:
    """A debit or credit card: active, frozen, lost (cancelled) or shipped (on its way, with a date)."""

    id: str
    customer_id: str
    account_id: str
    kind: str  # "debit" | "credit"
    last4: str
    status: str
    arrives_on: str | None

    @property
    def label(self) -> str:
        """How answers name it: "debit card ending 1234"."""
        return f"{self.kind} card ending {self.last4}"


@dataclass(frozen=True)
class Transaction:
    """One movement of money; `status` is posted, pending or declined."""

    id: str
    account_id: str
    card_id: str | None
    posted_on: str
    description: str
    category: str  # card_payment, transfer_in, transfer_out, direct_deposit, interest, fee, refund, internal
    amount_cents: int
    status: str


@dataclass(frozen=True)
class ScheduledTransfer:
    """A transfer set up to run on a future date."""

    id: str
    customer_id: str
    from_account: str
    payee: str
    amount_cents: int
    runs_on: str
    status: str


@dataclass(frozen=True)
class Case:
    """A dispute or a handoff to a person, with its case number; a handoff keeps the masked transcript."""

    id: str
    customer_id: str
    kind: str  # "dispute" | "handoff"
    subject: str  # a dispute's charge; a handoff's reason
    opened_at: str
    status: str
    thread_id: str | None = None
    transcript: str | None = None
    closed_at: str | None = None
    closed_by: str | None = None  # the analyst who closed it
    resolution: str | None = None  # what they did, in their words


def money(cents: int) -> str:
    """Cents as the answers write them: "$1,234.56", "-$5.00"."""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


class AccountStore:
    """Accounts, cards, transactions, scheduled transfers and cases; every write is one transaction."""

    def __init__(self, url: str) -> None:
        """Open the app database at `url` (sqlite:///... or postgresql://...)."""
        self.db = open_database(url)

    @contextmanager
    def transaction(self) -> Iterator[DbTransaction]:
        """One atomic write, rolled back on any error."""
        with self.db.transaction() as db:
            yield db

    def accounts(self, customer_id: str) -> list[Account]:
        """The customer's accounts, checking first."""
        rows = self.db.execute("SELECT * FROM accounts WHERE customer_id = ? ORDER BY kind, id", (customer_id,))
        return [Account(*row) for row in rows]

    def cards(self, customer_id: str) -> list[Card]:
        """The customer's cards, debit first."""
        rows = self.db.execute("SELECT * FROM cards WHERE customer_id = ? ORDER BY kind DESC, id", (customer_id,))
        return [Card(*row) for row in rows]

    def transactions(self, customer_id: str, since: date | None = None) -> list[Transaction]:
        """The customer's transactions on all accounts, newest first."""
        query = """SELECT t.* FROM transactions t JOIN accounts a ON a.id = t.account_id
                   WHERE a.customer_id = ? AND t.posted_on >= ? ORDER BY t.posted_on DESC, t.id DESC"""
        rows = self.db.execute(query, (customer_id, (since or date.min).isoformat()))
        return [Transaction(*row) for row in rows]

    def scheduled_transfers(self, customer_id: str) -> list[ScheduledTransfer]:
        """The customer's scheduled transfers, soonest first."""
        query = "SELECT * FROM scheduled_transfers WHERE customer_id = ? ORDER BY runs_on, id"
        return [ScheduledTransfer(*row) for row in self.db.execute(query, (customer_id,))]

    def cases(self, status: str | None = None) -> list[Case]:
        """All cases (optionally only those with `status`), newest first."""
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        query = f"SELECT * FROM cases {where} ORDER BY opened_at DESC, id DESC"
        return [Case(*row) for row in self.db.execute(query, params)]

    def today(self, customer_id: str) -> date:
        """The ledger's "today": its newest transaction's date (the demo ledger is fixed by its seed)."""
        (newest,) = self.db.execute(
            "SELECT MAX(t.posted_on) FROM transactions t JOIN accounts a ON a.id = t.account_id WHERE customer_id = ?",
            (customer_id,),
        ).one()
        return date.fromisoformat(newest) if newest else date.today()

    def has_ledger(self, customer_id: str) -> bool:
        """Whether the customer has any account."""
        return self.db.execute("SELECT 1 FROM accounts WHERE customer_id = ?", (customer_id,)).fetchone() is not None

    def close(self) -> None:
        """Close the connections."""
        self.db.close()
