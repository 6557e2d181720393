"""Credit work outside a chat turn: model-written summaries, code-computed reviews, report import, demo data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from agent.credit_summary import summarize_in_chunks
from agent.dependencies import app_database_url, open_report_store
from agent.runtime.backends import build_chat_model
from agent.runtime.errors import translate_errors
from agent.service.assistant import Assistant
from agent.settings import Settings, get_settings
from tools.account_demo import seed_ledgers
from tools.accounts import AccountStore
from tools.credit import CreditReport
from tools.credit_review import credit_review, review_to_dict
from tools.demo_data import seed_store
from tools.report_import import import_report
from tools.reports import ReportStore
from tools.validation import read_report_file, validate_customer_id


@dataclass
class CreditModels:
    """What credit jobs outside a chat turn need: the app DB and the credit model roles."""

    settings: Settings
    reports: ReportStore
    extractor: BaseChatModel
    synthesizer: BaseChatModel
    advisor: BaseChatModel  # phrases the answers: the credit-advisor adapter, else the synthesizer's twin


@contextmanager
def open_credit_models(settings: Settings | None = None) -> Iterator[CreditModels]:
    """The report store and the extractor, synthesizer and advisor models (weights load on first use)."""
    settings = settings or get_settings()
    reports = open_report_store(settings)
    try:
        extractor, synthesizer = build_chat_model("extractor", settings), build_chat_model("synthesizer", settings)
        yield CreditModels(settings, reports, extractor, synthesizer, build_chat_model("advisor", settings))
    finally:
        reports.close()


def summarize(customer_ids: list[str] | None, settings: Settings | None = None) -> Iterator[dict[str, Any]]:
    """Batched credit summaries for the given customers (None: all of them), yielded chunk by chunk."""
    with open_credit_models(settings) as credit, translate_errors(credit.settings):
        ids = customer_ids if customer_ids is not None else [c.id for c in credit.reports.list_customers()]
        chunk = credit.settings.generation_batch_size
        concurrency = credit.settings.max_concurrency
        yield from summarize_in_chunks(credit.reports, credit.extractor, credit.advisor, ids, chunk, concurrency)


def seed_demo_customers(count: int, seed: int, settings: Settings | None = None) -> int:
    """Write `count` demo customers with their report history into the app DB (idempotent for one seed)."""
    settings = settings or get_settings()
    url = app_database_url(settings)
    store, ledgers = ReportStore(url), AccountStore(url)
    try:
        written = seed_store(store, count, seed)
        seed_ledgers(ledgers, [f"C{index:04d}" for index in range(1, count + 1)], seed)
        return written
    finally:
        store.close()
        ledgers.close()


def import_report_file(
    path: Path, customer_id: str, name: str | None, settings: Settings | None = None, shown_name: str | None = None
) -> Any:
    """Validate a JSON report file and store it for the customer (created first when `name` is given)."""
    settings = settings or get_settings()
    text = read_report_file(path, settings.max_upload_bytes, shown_name)
    if name is not None:
        validate_customer_id(customer_id)
    store = open_report_store(settings)
    try:
        with translate_errors(settings):
            return import_report(store, customer_id, text, new_name=name)
    finally:
        store.close()


def review_credit(assistant: Assistant, customer_id: str, for_analyst: bool = False) -> dict[str, Any]:
    """A customer's credit review (what changed and the plan, computed by code) in its one JSON shape."""
    return review_to_dict(customer_id, credit_review(assistant.services.reports, customer_id), for_analyst)


def store_report(assistant: Assistant, customer_id: str, report: dict[str, Any]) -> CreditReport:
    """Validate a report and store it for an existing customer."""
    return import_report(assistant.services.reports, customer_id, report)
