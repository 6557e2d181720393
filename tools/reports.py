"""The app DB (SQLite): customers and their credit-report snapshots, stored as validated JSON."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from tools.credit import CreditReport
from tools.errors import ConfigurationError, StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reports (
    customer_id TEXT NOT NULL REFERENCES customers(id),
    report_date TEXT NOT NULL,
    bureau TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (customer_id, report_date, bureau)
);
"""


@dataclass(frozen=True)
class Customer:
    """A customer with a summary of their report history."""

    id: str
    name: str
    reports: int
    latest_score: int | None


def sqlite_path(db_url: str) -> Path:
    """Turn `sqlite:///path` into a path, or raise ConfigurationError for any other URL."""
    prefix = "sqlite:///"
    if not db_url.startswith(prefix):
        raise ConfigurationError(f"Expected a sqlite:/// URL, got {db_url.split(':', 1)[0]!r}.")
    return Path(db_url[len(prefix) :]).expanduser()


class ReportStore:
    """Customers and report snapshots; every write is one transaction."""

    def __init__(self, path: Path) -> None:
        """Open (creating if needed) the DB at `path`."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"Cannot open the app DB at {path}: {exc}") from exc

    def add_customer(self, customer_id: str, name: str) -> None:
        """Create a customer, or rename an existing one."""
        with self._db:
            self._db.execute(
                "INSERT INTO customers VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name",
                (customer_id, name),
            )

    def add_report(self, customer_id: str, report: CreditReport) -> None:
        """Store a snapshot, replacing one from the same bureau on the same date."""
        body = report.model_dump_json()
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO reports VALUES (?, ?, ?, ?)",
                (customer_id, report.report_date.isoformat(), report.bureau, body),
            )

    def save_customer(
        self, customer_id: str, name: str, reports: list[CreditReport], replace_history: bool = False
    ) -> None:
        """Create (or rename) a customer and store reports in one transaction; optionally drop older ones first."""
        with self._db:
            self._db.execute(
                "INSERT INTO customers VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name",
                (customer_id, name),
            )
            if replace_history:
                self._db.execute("DELETE FROM reports WHERE customer_id = ?", (customer_id,))
            self._db.executemany(
                "INSERT OR REPLACE INTO reports VALUES (?, ?, ?, ?)",
                [(customer_id, r.report_date.isoformat(), r.bureau, r.model_dump_json()) for r in reports],
            )

    def get_customer(self, customer_id: str) -> Customer | None:
        """One customer, or None."""
        found = [c for c in self._customers("WHERE c.id = ?", (customer_id,))]
        return found[0] if found else None

    def list_customers(self) -> list[Customer]:
        """All customers, by id."""
        return self._customers("", ())

    def latest_reports(self, customer_id: str, count: int = 2) -> list[CreditReport]:
        """The customer's newest snapshots, newest first."""
        rows = self._db.execute(
            "SELECT body FROM reports WHERE customer_id = ? ORDER BY report_date DESC, bureau LIMIT ?",
            (customer_id, count),
        )
        return [CreditReport.model_validate_json(body) for (body,) in rows]

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def _customers(self, where: str, params: tuple[str, ...]) -> list[Customer]:
        """Customers with their report count and latest score."""
        query = f"""
            SELECT c.id, c.name, COUNT(r.report_date),
                   (SELECT json_extract(body, '$.score') FROM reports
                    WHERE customer_id = c.id ORDER BY report_date DESC LIMIT 1)
            FROM customers c LEFT JOIN reports r ON r.customer_id = c.id {where}
            GROUP BY c.id ORDER BY c.id
        """
        return [Customer(*row) for row in self._db.execute(query, params)]
