"""The REST API (`bankassist api`): FastAPI over the same `agent.service` the CLI and the web UI use."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from agent.service import (
    Assistant,
    BatchJob,
    BatchJobs,
    CreditReport,
    Done,
    Services,
    Settings,
    Step,
    Token,
    TurnResult,
    User,
    UserStore,
    close_case,
    get_settings,
    list_cases,
    open_async_assistant,
    open_batch_jobs,
    open_counters,
    open_user_store,
    readiness,
    review_credit,
    store_report,
    validate_message,
)
from tools.errors import NotFoundError
from ui.api_errors import ERROR_RESPONSES, error_response, install_error_handlers, public_error
from ui.api_limits import BodySizeLimit, Metrics
from ui.api_models import (
    BatchJobOut,
    BatchRequest,
    CaseList,
    CaseOut,
    ChatRequest,
    ChatResponse,
    CloseCaseRequest,
    CreditReviewOut,
    DecisionRequest,
    ErrorResponse,
    Health,
    MessageOut,
    ReportStored,
    ThreadDetail,
    ThreadList,
)
from ui.async_run import DaemonThreadExecutor
from ui.auth import own_customer, require_analyst, require_users, user_from_api_key
from ui.rate_limit import RateLimited, RateLimiter

STEP_FIELDS = ("route", "scope_confidence", "intent", "intent_probability", "sources", "facts")
bearer = HTTPBearer(auto_error=False, description="An API key from `bankassist apikey create --user NAME`.")


@dataclass
class ApiState:
    """What every request shares: the assistant, the user store, batch jobs, limits and metrics."""

    settings: Settings
    assistant: Assistant
    users: UserStore
    jobs: BatchJobs
    limiter: RateLimiter
    metrics: Metrics = field(default_factory=Metrics)
    # The local backend runs one generation at a time on CPU; a model server batches requests itself.
    turn_lock: asyncio.Lock | None = None

    def turn(self) -> Any:
        """An async context that serializes turns on the local backend."""
        return self.turn_lock or nullcontext()


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """The FastAPI app; its services open at start-up and close at shutdown (injected services stay open).

    Turns run on the async graph, where every node has BANKASSIST_NODE_TIMEOUT_S.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A node the timeout gave up on keeps its thread; daemon threads let the server still shut down.
        asyncio.get_running_loop().set_default_executor(DaemonThreadExecutor())
        async with AsyncExitStack() as stack:
            app.state.api = await open_state(settings or get_settings(), stack, services)
            yield

    app = FastAPI(
        title="bankassist API", version="1.0.0", lifespan=lifespan,
        description="Larkspur Bank's assistant over HTTP: chat, threads, credit reviews, batch jobs.",
    )  # fmt: skip
    app.add_middleware(BodySizeLimit, max_bytes=(settings or get_settings()).max_body_bytes)
    install_error_handlers(app)
    add_routes(app)
    return app


async def open_state(settings: Settings, stack: AsyncExitStack, services: Services | None = None) -> ApiState:
    """Open the assistant (on the given services, if any), the user store and the batch jobs; the stack closes them."""
    assistant = await stack.enter_async_context(open_async_assistant(settings, services))
    users = open_user_store(settings)
    stack.callback(users.close)
    require_users(settings, users)
    jobs = open_batch_jobs(settings)
    stack.callback(jobs.close)
    counters = open_counters(settings)
    stack.callback(counters.close)
    limiter = RateLimiter(settings.rate_limit_per_minute, counters)
    lock = asyncio.Lock() if settings.backend == "local" else None
    return ApiState(settings, assistant, users, jobs, limiter, turn_lock=lock)


async def api_state(request: Request) -> ApiState:
    """The app's shared state."""
    return request.app.state.api


async def caller(
    api: Annotated[ApiState, Depends(api_state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The API key's user, after spending one call of their rate limit."""
    user = user_from_api_key(api.users, credentials.credentials if credentials else None)
    wait = api.limiter.take(user.name)
    if wait:
        api.metrics.rate_limited.inc()
        raise RateLimited(wait)
    return user


State = Annotated[ApiState, Depends(api_state)]
Caller = Annotated[User, Depends(caller)]


def add_routes(app: FastAPI) -> None:
    """Register every endpoint."""
    app.get("/healthz", response_model=Health, tags=["ops"])(healthz)
    app.get("/readyz", response_model=Health, tags=["ops"], responses={503: {"model": ErrorResponse}})(readyz)
    app.get("/metrics", response_class=PlainTextResponse, tags=["ops"])(metrics)
    chat_responses = ERROR_RESPONSES | {200: {"content": {"text/event-stream": {}}}}
    app.post("/v1/chat", response_model=ChatResponse, responses=chat_responses, tags=["chat"])(chat)
    app.get("/v1/threads", response_model=ThreadList, responses=ERROR_RESPONSES, tags=["chat"])(list_threads)
    app.get("/v1/threads/{thread_id}", response_model=ThreadDetail, responses=ERROR_RESPONSES, tags=["chat"])(
        get_thread
    )
    app.post("/v1/threads/{thread_id}/decision", response_model=ChatResponse, responses=ERROR_RESPONSES, tags=["chat"])(
        decide_action
    )
    for path, endpoint in (("/v1/credit/review", my_review), ("/v1/customers/{customer_id}/credit/review", review)):
        app.get(path, response_model=CreditReviewOut, responses=ERROR_RESPONSES, tags=["credit"])(endpoint)
    app.post(
        "/v1/customers/{customer_id}/reports", response_model=ReportStored, status_code=201,
        responses=ERROR_RESPONSES, tags=["credit"],
    )(upload_report)  # fmt: skip
    app.post(
        "/v1/batch/reviews", response_model=BatchJobOut, status_code=202, responses=ERROR_RESPONSES, tags=["credit"]
    )(submit_batch)
    app.get("/v1/cases", response_model=CaseList, responses=ERROR_RESPONSES, tags=["cases"])(get_cases)
    app.post("/v1/cases/{case_id}/close", response_model=CaseOut, responses=ERROR_RESPONSES, tags=["cases"])(
        post_close_case
    )
    app.get("/v1/batch/{job_id}", response_model=BatchJobOut, responses=ERROR_RESPONSES, tags=["credit"])(get_batch)


async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


async def readyz(api: State) -> JSONResponse | Health:
    """Model backend, vector store and database reachable; 503 naming what is down."""
    checks = await readiness(api.assistant, api.users)
    down = [name for name, state in checks.items() if state != "ok"]
    if down:
        return error_response(503, "not_ready", f"Not ready: {', '.join(down)} down.")
    return Health(status="ready", checks=checks)


async def metrics(api: State) -> PlainTextResponse:
    """Prometheus text format."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return PlainTextResponse(generate_latest(api.metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def chat(body: ChatRequest, user: Caller, api: State) -> ChatResponse | StreamingResponse:
    """Run one turn for the caller (as JSON, or as Server-Sent Events with `stream: true`)."""
    message = validate_message(body.message, api.settings.max_message_chars)
    thread_id = await asyncio.to_thread(claim_thread, api, user, body.thread_id)
    if body.stream:
        return StreamingResponse(stream_turn(api, user, message, thread_id), media_type="text/event-stream")
    started = time.perf_counter()
    async with api.turn():
        result = await api.assistant.aask(message, user.customer_id, thread_id, user.name, user.role)
    record_turn(api, result, time.perf_counter() - started)
    return to_chat_response(result)


async def decide_action(thread_id: str, body: DecisionRequest, user: Caller, api: State) -> ChatResponse:
    """Confirm or cancel the action the caller's thread waits on; it runs at most once (a settled one: 409)."""
    await asyncio.to_thread(claim_thread, api, user, thread_id)
    started = time.perf_counter()
    async with api.turn():
        who = (user.customer_id, user.name, user.role)
        result = await api.assistant.adecide(thread_id, body.decision, *who, body.action_id)
    record_turn(api, result, time.perf_counter() - started)
    return to_chat_response(result)


def get_cases(user: Caller, api: State, show_all: bool = False) -> CaseList:
    """Open disputes and handoffs to a person, newest first (analysts; `show_all=true` for closed ones too)."""
    require_analyst(user)
    found = list_cases(open_only=not show_all, settings=api.settings)
    return CaseList(cases=[CaseOut(**vars(case)) for case in found])


def post_close_case(case_id: str, body: CloseCaseRequest, user: Caller, api: State) -> CaseOut:
    """Close an open case with how it was resolved (analysts; unknown: 404, closed already: 409)."""
    require_analyst(user)
    return CaseOut(**vars(close_case(case_id, user.name, body.resolution, settings=api.settings)))


def list_threads(user: Caller, api: State) -> ThreadList:
    """The caller's own threads."""
    return ThreadList(threads=api.users.threads_of(user.name))


async def get_thread(thread_id: str, user: Caller, api: State) -> ThreadDetail:
    """One of the caller's threads, with its messages; anyone else's is not found."""
    if await asyncio.to_thread(api.users.thread_owner, thread_id) != user.name:
        raise NotFoundError(f"There is no thread {thread_id[:40]!r} of yours.")
    messages = [MessageOut(**m) for m in await api.assistant.athread_messages(thread_id)]
    return ThreadDetail(thread_id=thread_id, messages=messages)


def my_review(user: Caller, api: State) -> CreditReviewOut:
    """The caller's own credit review: what changed and the improvement plan, computed by code."""
    return CreditReviewOut(**review_credit(api.assistant, own_customer(user)))


def review(customer_id: str, user: Caller, api: State) -> CreditReviewOut:
    """Any customer's credit review (analysts)."""
    require_analyst(user)
    return CreditReviewOut(**review_credit(api.assistant, customer_id, for_analyst=True))


def upload_report(customer_id: str, report: CreditReport, user: Caller, api: State) -> ReportStored:
    """Store a validated credit report for a customer (analysts)."""
    require_analyst(user)
    stored = store_report(api.assistant, customer_id, report.model_dump(mode="json"))
    return ReportStored(
        customer_id=customer_id, bureau=stored.bureau, report_date=stored.report_date.isoformat(), score=stored.score
    )


def submit_batch(body: BatchRequest, user: Caller, api: State) -> BatchJobOut:
    """Queue credit reviews for a list of customers (analysts); poll GET /v1/batch/{job_id}."""
    require_analyst(user)
    return to_job(api.jobs.submit(user.name, body.customer_ids))


def get_batch(job_id: str, user: Caller, api: State) -> BatchJobOut:
    """A batch job of the caller's (analysts)."""
    require_analyst(user)
    job = api.jobs.get(job_id, user.name)
    if job is None:
        raise NotFoundError(f"There is no batch job {job_id[:40]!r} of yours.")
    return to_job(job)


def claim_thread(api: ApiState, user: User, thread_id: str | None) -> str:
    """A new thread (its id made here, never chosen by the caller), or one the caller already owns."""
    if thread_id is not None:
        if api.users.thread_owner(thread_id) != user.name:
            raise NotFoundError(f"There is no thread {thread_id[:40]!r} of yours.")
        return thread_id
    thread_id = uuid.uuid4().hex
    api.users.claim_thread(thread_id, user.name)
    return thread_id


async def stream_turn(api: ApiState, user: User, message: str, thread_id: str) -> AsyncIterator[str]:
    """Server-Sent Events: `step` (route, sources, facts), `token` per piece of the answer, then `done` or `error`."""
    started, shown = time.perf_counter(), set[str]()
    try:
        async with api.turn():
            turn = api.assistant.astream(message, user.customer_id, thread_id, user.name, user.role)
            async for event in turn:
                news = public_update(event.update) if isinstance(event, Step) else {}
                if isinstance(event, Step) and set(news) - shown:  # each of route, sources, facts once
                    shown |= set(news)
                    yield sse("step", {"node": event.node, **news})
                elif isinstance(event, Token):
                    yield sse("token", {"text": event.text})
                elif isinstance(event, Done):
                    record_turn(api, event.result, time.perf_counter() - started)
                    yield sse("done", to_chat_response(event.result).model_dump())
    except Exception as exc:  # the 200 has been sent: the error travels as the last event
        http_status, code, message = public_error(exc)
        api.metrics.errors.labels(code).inc()
        yield sse("error", {"error": {"code": code, "message": message}})


def sse(event: str, data: dict[str, Any]) -> str:
    """One Server-Sent Event."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def public_update(update: dict[str, Any]) -> dict[str, Any]:
    """What a step shows: the scope decision, sources (id, title, score) and facts."""
    shown = {key: update[key] for key in STEP_FIELDS if key in update}
    if "sources" in shown:
        shown["sources"] = [{k: s[k] for k in ("id", "title", "score")} for s in shown["sources"]]
    return shown


def record_turn(api: ApiState, result: TurnResult, seconds: float) -> None:
    """Turn latency by route; refusals counted."""
    api.metrics.turn_seconds.labels(result.route).observe(seconds)
    if result.route == "out_of_scope":
        api.metrics.refusals.inc()


def to_chat_response(result: TurnResult) -> ChatResponse:
    """The API's view of a turn."""
    data = {**result.to_dict(), "abstained": "abstained" in result.output_check}
    return ChatResponse(**{key: data[key] for key in ChatResponse.model_fields})


def to_job(job: BatchJob) -> BatchJobOut:
    """The API's view of a batch job."""
    return BatchJobOut(job_id=job.job_id, status=job.status, customer_ids=job.customer_ids, results=job.results)
