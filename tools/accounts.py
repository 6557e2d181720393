"""The core-banking store (SQLite, in the app DB beside the credit reports): accounts, cards, transactions.

Amounts are integer cents; a transaction's amount is signed (money out is negative). Reads are scoped to
one customer: a card or account that is not theirs is simply not found.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tools.errors import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    last4 TEXT NOT NULL, balance_cents INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cards (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, account_id TEXT NOT NULL, kind TEXT NOT NULL,
    last4 TEXT NOT NULL, status TEXT NOT NULL, arrives_on TEXT
);
CREATE TABLE IF NOT EXISTS transactions (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL, card_id TEXT, posted_on TEXT NOT NULL,
    description TEXT NOT NULL, category TEXT NOT NULL, amount_cents INTEGER NOT NULL, status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scheduled_transfers (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, from_account TEXT NOT NULL, payee TEXT NOT NULL,
    amount_cents INTEGER NOT NULL, runs_on TEXT NOT NULL, status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
    opened_at TEXT NOT NULL, status TEXT NOT NULL, thread_id TEXT, transcript TEXT
);
CREATE TABLE IF NOT EXISTS actions (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, thread_id TEXT NOT NULL, kind TEXT NOT NULL,
    params TEXT NOT NULL, summary TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL,
    expires_at REAL NOT NULL, decided_at REAL, outcome TEXT
);
CREATE INDEX IF NOT EXISTS transactions_by_account ON transactions (account_id, posted_on);
"""


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
    category: str  # card_payment, transfer_in, transfer_out, direct_deposit, fee, refund, internal
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


def money(cents: int) -> str:
    """Cents as the answers write them: "$1,234.56", "-$5.00"."""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


class AccountStore:
    """Accounts, cards, transactions, scheduled transfers and cases; every write is one transaction."""

    def __init__(self, path: Path) -> None:
        """Open (creating if needed) the tables in the app DB at `path`."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"Cannot open the app DB at {path}: {exc}") from exc
        self._lock = threading.Lock()  # one connection, many threads: writers take turns

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write (rolled back on any error), one writer at a time."""
        with self._lock, self.db:
            yield self.db

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
        query = "SELECT * FROM cases WHERE ? IS NULL OR status = ? ORDER BY opened_at DESC, id DESC"
        return [Case(*row) for row in self.db.execute(query, (status, status))]

    def today(self, customer_id: str) -> date:
        """The ledger's "today": its newest transaction's date (the demo ledger is fixed by its seed)."""
        (newest,) = self.db.execute(
            "SELECT MAX(t.posted_on) FROM transactions t JOIN accounts a ON a.id = t.account_id WHERE customer_id = ?",
            (customer_id,),
        ).fetchone()
        return date.fromisoformat(newest) if newest else date.today()

    def has_ledger(self, customer_id: str) -> bool:
        """Whether the customer has any account."""
        return self.db.execute("SELECT 1 FROM accounts WHERE customer_id = ?", (customer_id,)).fetchone() is not None

    def close(self) -> None:
        """Close the connection."""
        self.db.close()
