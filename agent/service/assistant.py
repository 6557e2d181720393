"""The assistant's turn lifecycle: validate, resume the thread, run the graph, audit, show the asker's own values."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StateSnapshot

from agent.audit import AuditLog, failed_entry, turn_entry
from agent.checkpoint import open_async_checkpointer, open_checkpointer
from agent.context import Context
from agent.credit_summary import summarize_in_chunks
from agent.dependencies import Services, build_services
from agent.events import Done, Step, Token, TurnResult, to_result
from agent.graph import build_graph
from agent.runtime.errors import translate_errors
from agent.service.actions import (
    check_decision,
    not_pending,
    pending_of,
    resume_command,
    typed_decision,
)
from agent.service.streaming import (
    STREAM_MODES,
    closing_events,
    shown_events,
    shown_to_customer,
    to_messages,
    turn_events,
)
from agent.service.thread_state import alast_completed, aresume_from, last_completed, resume_from
from agent.settings import Settings, get_settings
from agent.state import State, fresh_turn
from tools.own_values import OwnValueStream
from tools.validation import check_customer, validate_message, validate_thread_id


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
        self._notices = list(services.notices)

    def _noticed(self, result: TurnResult) -> TurnResult:
        """The setup's notices ride on the first turn's result only: said once, not under every answer."""
        if not self._notices:
            return result
        noticed, self._notices = replace(result, notices=self._notices), []
        return noticed

    def ask(
        self,
        text: str,
        customer_id: str | None = None,
        thread_id: str | None = None,
        user: str | None = None,
        role: str = "customer",
    ) -> TurnResult:
        """Run one turn to completion; `user` is who asked, for the audit log (the front end's login)."""
        context, config, turn_input = self._prepare(text, customer_id, thread_id, user, role)
        if decision := self._typed_decision(config, text):  # "yes" while an action waits
            return self.decide(config["configurable"]["thread_id"], decision, customer_id, user, role)
        with self._audited(context, config) as audit, translate_errors(self.services.settings):
            start = resume_from(self.graph, self.checkpointer, config, context)
            values = self.graph.invoke(turn_input, start, context=context)
            audit.result = result = self._noticed(to_result(config, values))
        return shown_to_customer(result, context.own_values)

    def stream(
        self,
        text: str,
        customer_id: str | None = None,
        thread_id: str | None = None,
        user: str | None = None,
        role: str = "customer",
    ) -> Iterator[Token | Step | Done]:
        """Run one turn, yielding node steps and the answer's tokens, then the result."""
        context, config, turn_input = self._prepare(text, customer_id, thread_id, user, role)
        if decision := self._typed_decision(config, text):
            result = self.decide(config["configurable"]["thread_id"], decision, customer_id, user, role)
            yield Token(result.answer)
            yield Done(result)
            return
        with self._audited(context, config) as audit, translate_errors(self.services.settings):
            own = OwnValueStream(context.own_values)  # filled by mask_pii before any token streams
            start = resume_from(self.graph, self.checkpointer, config, context)
            parts = self.graph.stream(turn_input, start, context=context, stream_mode=STREAM_MODES)
            for mode, payload in cast(Iterator[tuple[str, Any]], parts):
                yield from shown_events(turn_events(mode, payload), own)
            audit.result = result = self._noticed(to_result(config, self.graph.get_state(config).values))
        yield from closing_events(own, result)

    async def aask(
        self,
        text: str,
        customer_id: str | None = None,
        thread_id: str | None = None,
        user: str | None = None,
        role: str = "customer",
    ) -> TurnResult:
        """`ask` on the event loop: many conversations run at once (needs an async checkpointer)."""
        context, config, turn_input = self._prepare(text, customer_id, thread_id, user, role)
        if decision := await self._atyped_decision(config, text):
            return await self.adecide(config["configurable"]["thread_id"], decision, customer_id, user, role)
        with self._audited(context, config) as audit, translate_errors(self.services.settings):
            start = await aresume_from(self.graph, self.async_graph, self.checkpointer, config, context)
            values = await self.async_graph.ainvoke(turn_input, start, context=context)
            audit.result = result = self._noticed(to_result(config, values))
        return shown_to_customer(result, context.own_values)

    async def astream(
        self,
        text: str,
        customer_id: str | None = None,
        thread_id: str | None = None,
        user: str | None = None,
        role: str = "customer",
    ) -> AsyncIterator[Token | Step | Done]:
        """`stream` on the event loop (needs an async checkpointer)."""
        context, config, turn_input = self._prepare(text, customer_id, thread_id, user, role)
        if decision := await self._atyped_decision(config, text):
            result = await self.adecide(config["configurable"]["thread_id"], decision, customer_id, user, role)
            yield Token(result.answer)
            yield Done(result)
            return
        with self._audited(context, config) as audit, translate_errors(self.services.settings):
            own = OwnValueStream(context.own_values)
            start = await aresume_from(self.graph, self.async_graph, self.checkpointer, config, context)
            parts = self.async_graph.astream(turn_input, start, context=context, stream_mode=STREAM_MODES)
            async for mode, payload in cast(AsyncIterator[tuple[str, Any]], parts):
                for event in shown_events(turn_events(mode, payload), own):
                    yield event
            audit.result = result = self._noticed(to_result(config, (await self.graph.aget_state(config)).values))
        for closing in closing_events(own, result):
            yield closing

    def decide(
        self,
        thread_id: str,
        decision: str,
        customer_id: str | None = None,
        user: str | None = None,
        role: str = "customer",
        action_id: str | None = None,
    ) -> TurnResult:
        """Confirm or cancel the action the thread waits on; one that is settled already is only answered."""
        context, config = self._prepare_decision(thread_id, decision, customer_id, user, role)
        command = self._resume_waiting(self.graph.get_state(config), context, action_id)
        with self._audited(context, config) as audit, translate_errors(self.services.settings):
            values = self.graph.invoke(command, config, context=context)
            audit.result = result = self._noticed(to_result(config, values))
        return result

    async def adecide(
        self,
        thread_id: str,
        decision: str,
        customer_id: str | None = None,
        user: str | None = None,
        role: str = "customer",
        action_id: str | None = None,
    ) -> TurnResult:
        """`decide` on the event loop (needs an async checkpointer)."""
        context, config = self._prepare_decision(thread_id, decision, customer_id, user, role)
        command = self._resume_waiting(await self.graph.aget_state(config), context, action_id)
        with self._audited(context, config) as audit, translate_errors(self.services.settings):
            values = await self.async_graph.ainvoke(command, config, context=context)
            audit.result = result = self._noticed(to_result(config, values))
        return result

    def _prepare_decision(
        self, thread_id: str, decision: str, customer_id: str | None, user: str | None, role: str
    ) -> tuple[Context, RunnableConfig]:
        """Check the decision and who makes it; the context carries the decision as the turn's text."""
        check_decision(decision, role)
        context = Context(self.services, decision, customer_id, user, role)
        return context, {"configurable": {"thread_id": validate_thread_id(thread_id)}}

    def _resume_waiting(self, snapshot: StateSnapshot, context: Context, action_id: str | None) -> Command:
        """The command resuming the action the thread waits on; none waiting (or another one) is only answered."""
        pending = pending_of(snapshot)
        if pending is None or (action_id and pending["id"] != action_id):
            raise not_pending(self.services.accounts, context.customer_id, action_id)
        return resume_command(check_decision(context.user_text, context.role))

    def _typed_decision(self, config: RunnableConfig, text: str) -> str | None:
        """A typed yes or no while the thread waits on an action is that decision."""
        decision = typed_decision(text)
        return decision if decision and pending_of(self.graph.get_state(config)) else None

    async def _atyped_decision(self, config: RunnableConfig, text: str) -> str | None:
        """`_typed_decision` on the event loop."""
        decision = typed_decision(text)
        return decision if decision and pending_of(await self.graph.aget_state(config)) else None

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
                services.reports, services.extractor, services.advisor, customer_ids,
                settings.generation_batch_size, settings.max_concurrency,
            )  # fmt: skip

    def thread_messages(self, thread_id: str) -> list[dict[str, str]]:
        """The thread's messages as {role: user|assistant, content} after its last completed turn (masked text)."""
        config: RunnableConfig = {"configurable": {"thread_id": validate_thread_id(thread_id)}}
        completed = last_completed(self.graph, config)
        return to_messages(completed.values if completed else {})

    async def athread_messages(self, thread_id: str) -> list[dict[str, str]]:
        """`thread_messages` on the event loop (needs an async checkpointer)."""
        config: RunnableConfig = {"configurable": {"thread_id": validate_thread_id(thread_id)}}
        completed = await alast_completed(self.graph, config)
        return to_messages(completed.values if completed else {})

    def list_threads(self) -> list[str]:
        """Ids of the threads that have checkpoints."""
        return sorted({c.config["configurable"]["thread_id"] for c in self.checkpointer.list(None)})

    def _prepare(
        self, text: str, customer_id: str | None, thread_id: str | None, user: str | None = None, role: str = "customer"
    ) -> tuple[Context, RunnableConfig, State]:
        """Validate the inputs and build the run's context, config and per-turn state reset."""
        text = validate_message(text, self.services.settings.max_message_chars)
        if customer_id is not None:
            check_customer(self.services.reports, customer_id)
        thread_id = validate_thread_id(thread_id) if thread_id else uuid.uuid4().hex
        context = Context(services=self.services, user_text=text, customer_id=customer_id, user=user, role=role)
        config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
        return context, config, fresh_turn(customer_id)


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
