"""Operations beside the chat turn: input prechecks, the guard alone, masking, the corpus, customers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.dependencies import (
    app_database_url,
    build_embedder,
    build_retriever,
    open_report_store,
    open_vector_store,
)
from agent.scope.guard import ScopeDecision, ScopeGuard
from agent.scope.loading import build_guard
from agent.settings import Settings, get_settings
from retrieval.ingest import IngestReport, read_corpus, sync_documents
from retrieval.retriever import Retriever
from tools import cases
from tools.accounts import AccountStore, Case
from tools.errors import InvalidInputError
from tools.pii import PiiMasker
from tools.reports import Customer
from tools.validation import check_customer, validate_customer_id, validate_message, validate_thread_id


def precheck_turn(
    text: str, customer_id: str | None, thread_id: str | None = None, settings: Settings | None = None
) -> None:
    """Fail fast, before any model loads, on an invalid message, thread id or customer."""
    settings = settings or get_settings()
    validate_message(text, settings.max_message_chars)
    precheck_session(customer_id, thread_id, settings)


def precheck_session(customer_id: str | None, thread_id: str | None, settings: Settings | None = None) -> None:
    """Fail fast on an invalid thread id or an unknown customer."""
    settings = settings or get_settings()
    if thread_id is not None:
        validate_thread_id(thread_id)
    if customer_id is not None:
        validate_customer_id(customer_id)
        store = open_report_store(settings)
        try:
            check_customer(store, customer_id)
        finally:
            store.close()


def open_guard(settings: Settings | None = None) -> ScopeGuard:
    """The scope guard alone, for routing and evaluation without an LLM."""
    return build_guard(settings or get_settings())


def classify_scope(texts: list[str], settings: Settings | None = None) -> Iterator[ScopeDecision]:
    """Run the scope guard only (no LLM is loaded), yielding batch by batch so callers can print as it goes."""
    return open_guard(settings).classify_in_batches(texts)


def mask_texts(texts: list[str]) -> list[str]:
    """PII-mask each text independently."""
    masker = PiiMasker()
    return [masker.mask(text).text for text in texts]


def ingest_corpus(
    corpus_dir: Path | None = None, store_kind: str | None = None, settings: Settings | None = None
) -> IngestReport:
    """Sync a corpus (default: the configured one) into a vector store (default: the configured one)."""
    settings = settings or get_settings()
    corpus = corpus_dir or settings.corpus_dir
    if not corpus.is_dir():
        raise InvalidInputError(f"The corpus directory {corpus} does not exist.")
    files = read_corpus(corpus)
    store = open_vector_store(settings, store_kind)
    try:
        return sync_documents(files, store, build_embedder(settings), progress=True, cache_dir=settings.model_cache_dir)
    finally:
        store.close()


@contextmanager
def open_retriever(settings: Settings | None = None) -> Iterator[Retriever]:
    """The banking route's retriever (corpus synced when auto_ingest is on); its store closes on exit."""
    retriever = build_retriever(settings or get_settings())
    try:
        yield retriever
    finally:
        retriever.store.close()


def list_customers(settings: Settings | None = None) -> list[Customer]:
    """The customers in the app DB (seeded with demo customers on first use)."""
    store = open_report_store(settings or get_settings())
    try:
        return store.list_customers()
    finally:
        store.close()


def list_cases(open_only: bool = True, settings: Settings | None = None) -> list[Case]:
    """Disputes and handoffs to a person, newest first (only the open ones unless asked)."""
    settings = settings or get_settings()
    store = AccountStore(app_database_url(settings))
    try:
        return store.cases("open" if open_only else None)
    finally:
        store.close()


def close_case(case_id: str, closed_by: str, resolution: str, settings: Settings | None = None) -> Case:
    """Close an open case, saying how it was resolved (analysts; the front end checks the role)."""
    settings = settings or get_settings()
    store = AccountStore(app_database_url(settings))
    try:
        return cases.close_case(store, case_id, closed_by, resolution)
    finally:
        store.close()
