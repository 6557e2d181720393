"""Handoffs to a person: a case with the reason and the masked transcript, one open case per thread."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime

from tools.accounts import AccountStore, Case

# "talk to a human", "a real person", "customer service", "an agent please".
WANTS_PERSON = re.compile(
    r"\b(human|real person|a person|someone real|live (agent|chat|person)|(customer )?(service|support) "
    r"(rep|representative|agent|team)|an agent|speak to (someone|somebody)|talk to (someone|somebody)"
    r"|call me back|operator)\b",
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
            datetime.now(UTC).isoformat(timespec="seconds"), "open", thread_id, transcript,
        )  # fmt: skip
        db.execute("INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?)", tuple(vars(case).values()))
        return case
