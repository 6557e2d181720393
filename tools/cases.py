"""Handoffs to a person: a case with the reason and the masked transcript, one open case per thread."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime

from tools.accounts import AccountStore, Case
from tools.errors import CaseClosedError, InvalidInputError, NotFoundError

MAX_RESOLUTION = 500
INSERT_CASE = (
    "INSERT INTO cases (id, customer_id, kind, subject, opened_at, status, thread_id, transcript) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)

# "talk to a human", "a real person", "customer service", "an agent please". "human" needs a request's words
# around it: "the human body" is no request, and without the guard's head nothing else would say so.
WANTS_PERSON = re.compile(
    r"\b((a|to|real|live) human|human (agent|being|rep|representative|please)|real person|someone real"
    # Not "a person" alone: "At what age can a person open an account?", "do I need a person to co-sign?".
    r"|(talk|speak|chat)(ing)? (to|with) a person|a person (i|we) can (talk|speak|chat)|(give|get) (me|us) a person"
    r"|get a person(?! to)|(put|connect|transfer)( me| us)?( through)?( to| with) a person|a person,? please"
    r"|(need|want) a person(?! to| added| as| on| who| for)|(get|have) a (phone )?call from a person"
    r"|live (agent|chat|person)|(customer )?(service|support) "
    r"(rep|representative|agent|team)|an agent|speak to (someone|somebody)|talk to (someone|somebody)"
    r"|call me back|operator)\b"
    r"|^\W*(representative|agent|human|person|operator)\W*$",  # the one word people type to reach a person
    re.I,
)
FRAUD = re.compile(
    r"\b(fraud\w*|scam(med|mer)?|hacked|identity theft|someone (stole|took|used|accessed|emptied)"
    r"|money (is |was )?(gone|missing|stolen))\b",
    re.I,
)


def handoff_reason(text: str) -> str | None:
    """Why a message asks for a person: "asked for a person" or "fraud report"; None when it does not."""
    if WANTS_PERSON.search(text):
        return "asked for a person"
    return "fraud report" if FRAUD.search(text) else None


def open_handoff(store: AccountStore, customer_id: str | None, thread_id: str, reason: str, transcript: str) -> Case:
    """The thread's open handoff case (a repeated request gets the same one), or a new one."""
    with store.transaction() as db:
        row = db.execute(
            "SELECT * FROM cases WHERE kind = 'handoff' AND thread_id = ? AND status = 'open'", (thread_id,)
        ).fetchone()
        if row:
            db.execute("UPDATE cases SET transcript = ? WHERE id = ?", (transcript, row[0]))
            return replace(Case(*row), transcript=transcript)
        case = Case(
            f"H-{uuid.uuid4().hex[:8].upper()}", customer_id or "", "handoff", reason,
            _now(), "open", thread_id, transcript,
        )  # fmt: skip
        db.execute(INSERT_CASE, tuple(vars(case).values())[:8])
        return case


def close_case(store: AccountStore, case_id: str, closed_by: str, resolution: str) -> Case:
    """Close an open case with what was done; an unknown case is not found, a closed one is not closed twice."""
    resolution = resolution.strip()
    if not 1 <= len(resolution) <= MAX_RESOLUTION:
        raise InvalidInputError(f"Say how the case was resolved, in 1 to {MAX_RESOLUTION} characters.")
    with store.transaction() as db:
        row = db.execute("SELECT * FROM cases WHERE id = ?" + db.for_update, (case_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"There is no case {case_id[:40]!r}; `bankassist cases --all` lists them.")
        case = Case(*row)
        if case.status != "open":
            raise CaseClosedError(f"Case {case.id} was already closed by {case.closed_by} on {case.closed_at}.")
        closed = replace(case, status="closed", closed_at=_now(), closed_by=closed_by, resolution=resolution)
        db.execute(
            "UPDATE cases SET status = 'closed', closed_at = ?, closed_by = ?, resolution = ? WHERE id = ?",
            (closed.closed_at, closed_by, resolution, case.id),
        )
    return closed


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
