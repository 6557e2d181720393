"""Importing a credit report: validate it (schema and names), then store it for its customer."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from tools.credit import CreditReport
from tools.errors import InvalidInputError
from tools.report_names import name_problem
from tools.reports import ReportStore
from tools.validation import check_customer


def import_report(
    reports: ReportStore, customer_id: str, report: dict[str, Any] | str, new_name: str | None = None
) -> CreditReport:
    """Validate a report (a dict or JSON text) and store it; `new_name` creates a customer that does not exist."""
    if new_name is None or reports.get_customer(customer_id) is not None:
        check_customer(reports, customer_id)
        new_name = None
    parsed = parse_report(report)  # before any write: an invalid report stores nothing, not even the customer
    if new_name is not None:
        reports.save_customer(customer_id, new_name, [parsed])  # the customer and the report, or neither
    else:
        reports.add_report(customer_id, parsed)
    return parsed


def parse_report(report: dict[str, Any] | str) -> CreditReport:
    """A validated report with plain names; the first problem, with its field, is the error message."""
    try:
        if isinstance(report, str):
            parsed = CreditReport.model_validate_json(report)
        else:
            parsed = CreditReport.model_validate(report)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "report"
        message = f"The report is not valid: {where}: {first['msg']} ({exc.error_count()} errors)."
        raise InvalidInputError(message) from exc
    if problem := name_problem(parsed):
        raise InvalidInputError(f"The report is not valid: {problem}.")
    return parsed
