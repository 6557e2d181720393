"""The app DB: customers and their credit-report snapshots, stored as validated JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass

from tools.credit import CreditReport
from tools.migrate import open_database

UPSERT_REPORT = (
    "INSERT INTO reports VALUES (?, ?, ?, ?) "
    "ON CONFLICT (customer_id, report_date, bureau) DO UPDATE SET body = excluded.body"
)


@dataclass(frozen=True)
class Customer:
    """A customer with a summary of their report history."""

    id: str
    name: str
    reports: int
    latest_score: int | None


class ReportStore:
    """Customers and report snapshots; every write is one transaction."""

    def __init__(self, url: str) -> None:
        """Open the app database at `url` (sqlite:///... or postgresql://...)."""
        self._db = open_database(url)

    def add_customer(self, customer_id: str, name: str) -> None:
        """Create a customer, or rename an existing one."""
        self._db.execute(
            "INSERT INTO customers VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name",
            (customer_id, name),
        )

    def add_report(self, customer_id: str, report: CreditReport) -> None:
        """Store a snapshot, replacing one from the same bureau on the same date."""
        body = report.model_dump_json()
        self._db.execute(UPSERT_REPORT, (customer_id, report.report_date.isoformat(), report.bureau, body))

    def save_customer(
        self, customer_id: str, name: str, reports: list[CreditReport], replace_history: bool = False
    ) -> None:
        """Create (or rename) a customer and store reports in one transaction; optionally drop older ones first."""
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO customers VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name",
                (customer_id, name),
            )
            if replace_history:
                db.execute("DELETE FROM reports WHERE customer_id = ?", (customer_id,))
            db.executemany(
                UPSERT_REPORT,
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
        """Close the connections."""
        self._db.close()

    def _customers(self, where: str, params: tuple[str, ...]) -> list[Customer]:
        """Customers with their report count and latest score (read from the newest report's JSON)."""
        query = f"""
            SELECT c.id, c.name, COUNT(r.report_date),
                   (SELECT body FROM reports WHERE customer_id = c.id ORDER BY report_date DESC LIMIT 1)
            FROM customers c LEFT JOIN reports r ON r.customer_id = c.id {where}
            GROUP BY c.id, c.name ORDER BY c.id
        """
        rows = self._db.execute(query, params)
        return [Customer(id_, name, count, _score(body)) for id_, name, count, body in rows]


def _score(report_body: str | None) -> int | None:
    """The score in a stored report's JSON."""
    return json.loads(report_body)["score"] if report_body else None
