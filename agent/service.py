"""The one entry point every front end calls: run a turn, stream a turn, list threads and customers."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Overwrite, StateSnapshot

from agent.audit import AuditLog, failed_entry, turn_entry
from agent.backoffice import import_report
from agent.checkpoint import open_async_checkpointer, open_checkpointer
from agent.context import Context
from agent.credit_batch import summarize_in_chunks
from agent.events import Done, Step, Token, TurnResult, to_result
from agent.graph import build_graph
from agent.llm import ANSWER_TAG, build_chat_model
from agent.model_errors import translate_errors
from agent.scope import ScopeDecision, ScopeGuard
from agent.services import (
    Services,
    build_guard,
    build_retriever,
    build_services,
    open_report_store,
    open_vector_store,
)
from agent.settings import Settings, get_settings
from agent.state import State
from agent.validation import (
    check_customer,
    read_report_file,
    validate_customer_id,
    validate_message,
    validate_thread_id,
)
from retrieval.embeddings import load_embedder
from retrieval.ingest import IngestReport, read_corpus, sync_documents
from retrieval.retriever import Retriever
from tools.demo_data import seed_store
from tools.errors import InvalidInputError
from tools.own_values import OwnValueStream, show_own_values, shown_back
from tools.pii import PiiMasker
from tools.pii_memory import PlaceholderMemory
from tools.reports import Customer, ReportStore, sqlite_path

STREAM_MODES: list[Any] = ["messages", "updates", "custom"]


@dataclass
class TurnAudit:
    """A turn being audited: when it started and, once it completes, its result."""

    started: float
    result: TurnResult | None = None


class Assistant:
    """The compiled graph with its services and checkpointer (sync or async: use the matching methods)."""

    def __init__(self, services: Services, checkpointer: BaseCheckpointSaver) -> None:
        """Compile the graph once; it is reused for every turn and thread."""
        self.services = services
        self.checkpointer = checkpointer
        builder = build_graph()
        self.graph: CompiledStateGraph[State, Context, State, State] = builder.compile(checkpointer=checkpointer)
        # The node timeout holds on the event loop only (each node is its own step). There a timed-out step's
        # task is cancelled and its writes dropped; in a thread LangGraph raises the timeout but the step's
        # late writes still land in the thread (evals/bench_faults.py showed it), so sync turns rely on the
        # model client's own timeout instead.
        self.async_graph: CompiledStateGraph[State, Context, State, State] = builder.compile(checkpointer=checkpointer)
        self.async_graph.step_timeout = services.settings.node_timeout_s
        assert services.settings.audit_log_path is not None  # filled by the settings validator
        self.audit_log = AuditLog(services.settings.audit_log_path)

    def ask(
        self, text: str, customer_id: str | None = None, thread_id: str | None = None, user: str | None = None
    ) -> TurnResult:
        """Run one turn to completion; `user` is who asked, for the audit log (the front end's login)."""
        context, config, turn_input = self._prepare(text, customer_id, thread_id, user)
        with self._audited(context, config) as audit, translate_errors(self.services.settings):
            start, before = self._resume_from(config)
            values = self.graph.invoke(turn_input, start, context=context)
            audit.result = result = to_result(config, values)
        return shown_to_customer(result, self._own_values(context.user_text, before))

    def stream(
        self, text: str, customer_id: str | None = None, thread_id: str | None = None, user: str | None = None
    ) -> Iterator[Token | Step | Done]:
        """Run one turn, yielding node steps and the answer's tokens, then the result."""
        context, config, turn_input = self._prepare(text, customer_id, thread_id, user)
        with self._audited(context, config) as audit, translate_errors(self.services.settings):
            start, before = self._resume_from(config)
            own = OwnValueStream(self._own_values(context.user_text, before))
            parts = self.graph.stream(turn_input, start, context=context, stream_mode=STREAM_MODES)
            for mode, payload in cast(Iterator[tuple[str, Any]], parts):
                yield from shown_events(turn_events(mode, payload), own)
            audit.result = result = to_result(config, self.graph.get_state(config).values)
        yield from closing_events(own, result)

    async def aask(
        self, text: str, customer_id: str | None = None, thread_id: str | None = None, user: str | None = None
    ) -> TurnResult:
        """`ask` on the event loop: many conversations run at once (needs an async checkpointer)."""
        context, config, turn_input = self._prepare(text, customer_id, thread_id, user)
        with self._audited(context, config) as audit, translate_errors(self.services.settings):
            start, before = await self._aresume_from(config)
            values = await self.async_graph.ainvoke(turn_input, start, context=context)
            audit.result = result = to_result(config, values)
        return shown_to_customer(result, self._own_values(context.user_text, before))

    async def astream(
        self, text: str, customer_id: str | None = None, thread_id: str | None = None, user: str | None = None
    ) -> AsyncIterator[Token | Step | Done]:
        """`stream` on the event loop (needs an async checkpointer)."""
        context, config, turn_input = self._prepare(text, customer_id, thread_id, user)
        with self._audited(context, config) as audit, translate_errors(self.services.settings):
            start, before = await self._aresume_from(config)
            own = OwnValueStream(self._own_values(context.user_text, before))
            parts = self.async_graph.astream(turn_input, start, context=context, stream_mode=STREAM_MODES)
            async for mode, payload in cast(AsyncIterator[tuple[str, Any]], parts):
                for event in shown_events(turn_events(mode, payload), own):
                    yield event
            audit.result = result = to_result(config, (await self.graph.aget_state(config)).values)
        for closing in closing_events(own, result):
            yield closing

    @contextmanager
    def _audited(self, context: Context, config: RunnableConfig) -> Iterator[TurnAudit]:
        """One audit line per turn: the result's once the body sets it, else the error that ended the turn."""
        settings, thread_id = self.services.settings, config["configurable"]["thread_id"]
        audit, who = TurnAudit(started=time.perf_counter()), (context.user, context.customer_id)
        try:
            yield audit
        except Exception as exc:
            self.audit_log.write(failed_entry(settings, thread_id, *who, audit.started, exc))
            raise
        if audit.result is not None:
            self.audit_log.write(turn_entry(settings, thread_id, *who, audit.started, audit.result))

    def summaries(self, customer_ids: list[str]) -> Iterator[dict[str, Any]]:
        """Batched credit summaries with this assistant's models, yielded chunk by chunk."""
        services, settings = self.services, self.services.settings
        with translate_errors(settings):
            yield from summarize_in_chunks(
                services.reports, services.extractor, services.synthesizer, customer_ids,
                settings.generation_batch_size, settings.max_concurrency,
            )  # fmt: skip

    def thread_messages(self, thread_id: str) -> list[dict[str, str]]:
        """The thread's messages as {role: user|assistant, content} after its last completed turn (masked text)."""
        completed = self._last_completed({"configurable": {"thread_id": validate_thread_id(thread_id)}})
        return to_messages(completed.values if completed else {})

    async def athread_messages(self, thread_id: str) -> list[dict[str, str]]:
        """`thread_messages` on the event loop (needs an async checkpointer)."""
        completed = await self._alast_completed({"configurable": {"thread_id": validate_thread_id(thread_id)}})
        return to_messages(completed.values if completed else {})

    def list_threads(self) -> list[str]:
        """Ids of the threads that have checkpoints."""
        return sorted({c.config["configurable"]["thread_id"] for c in self.checkpointer.list(None)})

    def _own_values(self, text: str, before: dict[str, Any]) -> dict[str, str]:
        """This message's PII placeholders (as mask_pii will number them from the thread's memory) -> values."""
        memory = PlaceholderMemory(self.services.pii_key, before.get("pii_placeholders"))
        return shown_back(self.services.masker.own_values(text, memory))

    def _resume_from(self, config: RunnableConfig) -> tuple[RunnableConfig, dict[str, Any]]:
        """Where a turn starts: after the thread's last completed turn.

        A turn that failed half way (a model server down, a node timeout, a crash) left checkpoints with work
        pending; forking from the last completed one leaves that half turn out of the thread's state.
        """
        completed = self._last_completed(config)
        if completed is None:  # the thread's only turn failed half way: nothing to keep, it starts afresh
            self.checkpointer.delete_thread(config["configurable"]["thread_id"])
        return (completed.config, completed.values) if completed else (config, {})

    async def _aresume_from(self, config: RunnableConfig) -> tuple[RunnableConfig, dict[str, Any]]:
        """`_resume_from` on the event loop."""
        completed = await self._alast_completed(config)
        if completed is None:
            await self.checkpointer.adelete_thread(config["configurable"]["thread_id"])
        return (completed.config, completed.values) if completed else (config, {})

    def _last_completed(self, config: RunnableConfig) -> StateSnapshot | None:
        """The thread's state after its last completed turn (None when no turn completed)."""
        state = self.graph.get_state(config)
        if not state.next:
            return state
        return next((s for s in self.graph.get_state_history(config) if not s.next), None)

    async def _alast_completed(self, config: RunnableConfig) -> StateSnapshot | None:
        """`_last_completed` on the event loop."""
        state = await self.graph.aget_state(config)
        if not state.next:
            return state
        async for snapshot in self.graph.aget_state_history(config):
            if not snapshot.next:
                return snapshot
        return None

    def _prepare(
        self, text: str, customer_id: str | None, thread_id: str | None, user: str | None = None
    ) -> tuple[Context, RunnableConfig, State]:
        """Validate the inputs and build the run's context, config and per-turn state reset."""
        text = validate_message(text, self.services.settings.max_message_chars)
        if customer_id is not None:
            check_customer(self.services.reports, customer_id)
        thread_id = validate_thread_id(thread_id) if thread_id else uuid.uuid4().hex
        context = Context(services=self.services, user_text=text, customer_id=customer_id, user=user)
        config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
        # Per-turn keys start empty, so nothing of the previous turn leaks into this one's result;
        # Overwrite bypasses the timings reducer (hence the cast: Overwrite is not a dict).
        reset: dict[str, Any] = {"sources": [], "facts": [], "facts_dropped": 0, "facts_source": "", "output_check": []}
        reset["customer_id"] = customer_id
        reset["timings_ms"] = Overwrite({})
        return context, config, cast(State, reset)


def to_messages(values: dict[str, Any]) -> list[dict[str, str]]:
    """A state's messages as {role: user|assistant, content}."""
    roles = {"human": "user", "ai": "assistant"}
    return [{"role": roles[m.type], "content": m.text} for m in values.get("messages", []) if m.type in roles]


def turn_events(mode: str, payload: Any) -> Iterator[Token | Step]:
    """What one part of LangGraph's stream means to a front end."""
    if mode == "messages" and _is_answer_token(payload):
        yield Token(payload[0].text)
    elif mode == "updates":
        yield from (Step(node, update or {}) for node, update in payload.items())
    elif mode == "custom":  # a node's early news, e.g. the sources before the answer
        yield Step(payload["node"], payload["update"])


def shown_events(events: Iterable[Token | Step], own: OwnValueStream) -> Iterator[Token | Step]:
    """The events with the customer's own values back in the answer's tokens (a split placeholder waits)."""
    for event in events:
        if not isinstance(event, Token):
            yield event
        elif shown := own.feed(event.text):
            yield Token(shown)


def closing_events(own: OwnValueStream, result: TurnResult) -> Iterator[Token | Done]:
    """The rest of the streamed answer (or all of it when nothing streamed), then the result.

    Canned, checked and fallback answers stream nothing. The result shows the customer's own values.
    """
    result = shown_to_customer(result, own.values)
    if not own.streamed.strip():
        yield Token(result.answer)
    elif rest := own.flush():
        yield Token(rest)
    yield Done(result)


def shown_to_customer(result: TurnResult, own: Mapping[str, str]) -> TurnResult:
    """The result as its asker sees it: their own values from this message instead of its placeholders."""
    return dataclasses.replace(result, answer=show_own_values(result.answer, own))


def _is_answer_token(payload: tuple[Any, dict[str, Any]]) -> bool:
    """Only the tagged answer call's tokens are shown; other model calls stay hidden."""
    chunk, metadata = payload
    return ANSWER_TAG in (metadata.get("tags") or []) and bool(chunk.text)


@contextmanager
def open_assistant(settings: Settings | None = None) -> Iterator[Assistant]:
    """Build the services and checkpointer from settings; close them on exit."""
    settings = settings or get_settings()
    services = build_services(settings)
    assert settings.checkpoint_url is not None  # filled by the settings validator
    try:
        with open_checkpointer(settings.checkpoint_url) as checkpointer:
            yield Assistant(services, checkpointer)
    finally:
        services.close()


@asynccontextmanager
async def open_async_assistant(
    settings: Settings | None = None, services: Services | None = None
) -> AsyncIterator[Assistant]:
    """An assistant for `aask`/`astream`: the same services, an async checkpointer.

    Services passed in (a benchmark's or a test's) stay open: they are the caller's to close.
    """
    settings = settings or get_settings()
    owned = services is None
    if services is None:
        services = await asyncio.to_thread(build_services, settings)  # loads models and syncs the index: seconds
    assert settings.checkpoint_url is not None  # filled by the settings validator
    try:
        async with open_async_checkpointer(settings.checkpoint_url) as checkpointer:
            yield Assistant(services, checkpointer)
    finally:
        if owned:
            services.close()


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
        return sync_documents(files, store, load_embedder(settings.embedding_model), progress=True)
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


@dataclass
class CreditModels:
    """What credit jobs outside a chat turn need: the app DB and the two model roles."""

    settings: Settings
    reports: ReportStore
    extractor: BaseChatModel
    synthesizer: BaseChatModel


@contextmanager
def open_credit_models(settings: Settings | None = None) -> Iterator[CreditModels]:
    """The report store and the extractor and synthesizer models (weights load on first use)."""
    settings = settings or get_settings()
    reports = open_report_store(settings)
    try:
        extractor, synthesizer = build_chat_model("extractor", settings), build_chat_model("synthesizer", settings)
        yield CreditModels(settings, reports, extractor, synthesizer)
    finally:
        reports.close()


def summarize(customer_ids: list[str] | None, settings: Settings | None = None) -> Iterator[dict[str, Any]]:
    """Batched credit summaries for the given customers (None: all of them), yielded chunk by chunk."""
    with open_credit_models(settings) as credit, translate_errors(credit.settings):
        ids = customer_ids if customer_ids is not None else [c.id for c in credit.reports.list_customers()]
        chunk = credit.settings.generation_batch_size
        concurrency = credit.settings.max_concurrency
        yield from summarize_in_chunks(credit.reports, credit.extractor, credit.synthesizer, ids, chunk, concurrency)


def seed_demo_customers(count: int, seed: int, settings: Settings | None = None) -> int:
    """Write `count` demo customers with their report history into the app DB (idempotent for one seed)."""
    settings = settings or get_settings()
    assert settings.db_url is not None  # filled by the settings validator
    store = ReportStore(sqlite_path(settings.db_url))
    try:
        return seed_store(store, count, seed)
    finally:
        store.close()


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
