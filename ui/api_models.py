"""Request and response bodies of the REST API (they are its OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

THREAD_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"


class ErrorDetail(BaseModel):
    """A machine-readable code and a one-line, user-facing message."""

    code: str
    message: str


class ErrorResponse(BaseModel):
    """Every error has this shape; no stack trace ever."""

    error: ErrorDetail


class ChatRequest(BaseModel):
    """One message; the customer comes from the API key, never from the body."""

    message: str = Field(min_length=1, description="The customer's message (the length limit is a setting).")
    thread_id: str | None = Field(None, pattern=THREAD_ID_PATTERN, description="Continue this thread.")
    stream: bool = Field(False, description="Send Server-Sent Events: steps, then tokens, then the result.")


class SourceOut(BaseModel):
    """A policy document the answer drew on."""

    id: str
    title: str
    score: float


class PendingActionOut(BaseModel):
    """An account action proposed this turn; it runs only after POST /v1/threads/{thread_id}/decision."""

    id: str
    kind: str = Field(description="freeze_card, unfreeze_card, report_lost, dispute or move_money.")
    summary: str = Field(description="Exactly what will happen.")


class CloseCaseRequest(BaseModel):
    """How an analyst resolved a case."""

    resolution: str = Field(min_length=1, max_length=500, description="What was done, for the record.")


class DecisionRequest(BaseModel):
    """The customer's decision on the thread's pending action."""

    decision: Literal["confirm", "cancel"]
    action_id: str | None = Field(
        None, pattern=r"^[0-9a-f]{12}$", description="The pending action's id; a settled one is answered with 409."
    )


class ChatResponse(BaseModel):
    """One turn's result."""

    thread_id: str
    route: str
    intent: str | None = Field(None, description="The scope guard's most probable intent, e.g. banking77:card_arrival.")
    intent_probability: float | None = None
    answer: str
    abstained: bool = Field(
        False,
        description="No policy sentence answers: the answer gives the contact channel and, where a page is "
        "on the topic, names its closest section, the one source.",
    )
    sources: list[SourceOut]
    facts: list[str]
    timings_ms: dict[str, float]
    pending_action: PendingActionOut | None = Field(None, description="An action waiting for confirm or cancel.")
    action_outcome: dict[str, str] | None = Field(None, description="What a decision did: {id, kind, status}.")


class ThreadList(BaseModel):
    """The caller's own thread ids, oldest first."""

    threads: list[str]


class MessageOut(BaseModel):
    """One message of a thread (the user's, as masked before it was stored)."""

    role: Literal["user", "assistant"]
    content: str


class ThreadDetail(BaseModel):
    """A thread and its messages."""

    thread_id: str
    messages: list[MessageOut]


class CaseOut(BaseModel):
    """A dispute or a handoff to a person; a handoff carries the conversation's masked transcript."""

    id: str
    customer_id: str
    kind: str = Field(description="dispute or handoff.")
    subject: str = Field(description="A dispute's charge, or why the customer was handed to a person.")
    opened_at: str
    status: str
    thread_id: str | None = None
    transcript: str | None = Field(None, description="The thread's messages, PII masked.")
    closed_at: str | None = None
    closed_by: str | None = Field(None, description="The analyst who closed it.")
    resolution: str | None = Field(None, description="How it was resolved.")


class CaseList(BaseModel):
    """Cases, newest first."""

    cases: list[CaseOut]


class CreditReviewOut(BaseModel):
    """A credit review: what changed between the two latest reports, and a ranked improvement plan (by code)."""

    customer_id: str
    report_dates: list[str]
    score: int | None
    facts: list[str]
    plan: list[str]


class ReportStored(BaseModel):
    """A report accepted for a customer."""

    customer_id: str
    bureau: str
    report_date: str
    score: int


class BatchRequest(BaseModel):
    """Customers whose credit reviews to compute."""

    customer_ids: list[str] = Field(min_length=1, max_length=100)


class BatchJobOut(BaseModel):
    """A batch job; results arrive when status is `done`."""

    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    customer_ids: list[str]
    results: list[dict[str, Any]] | None


class Health(BaseModel):
    """Liveness or readiness, with each dependency's state."""

    status: str
    checks: dict[str, str] = Field(default_factory=dict)
