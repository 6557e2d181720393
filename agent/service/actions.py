"""The customer's decision on a proposed account action: typed or clicked, checked, then resumed in the graph."""

from __future__ import annotations

import re
from typing import Any, Literal

from langgraph.types import Command, Overwrite, StateSnapshot

from agent import prompts
from tools.account_actions import action_status, already
from tools.accounts import AccountStore
from tools.errors import InvalidInputError, NothingToConfirmError, PermissionDeniedError

DecisionWord = Literal["confirm", "cancel"]
YES = re.compile(r"^\s*(y|yes|yep|yeah|confirm|confirmed|go ahead|do it|ok|okay|sure|please do)\s*[.!]*\s*$", re.I)
NO = re.compile(r"^\s*(n|no|nope|cancel|stop|don'?t|do not|never mind|nevermind)\s*[.!]*\s*$", re.I)
# The decision turn starts its per-turn keys empty, like a message turn (the timings' reducer is bypassed).
DECISION_RESET: dict[str, Any] = {"sources": [], "facts": [], "output_check": [], "timings_ms": Overwrite({})}


def typed_decision(text: str) -> DecisionWord | None:
    """A typed yes or no while an action waits is the decision; anything else is a new message."""
    if YES.match(text):
        return "confirm"
    return "cancel" if NO.match(text) else None


def pending_of(snapshot: StateSnapshot) -> dict[str, str] | None:
    """The action the thread's latest checkpoint waits on, if it waits on one."""
    return snapshot.values.get("pending_action") if snapshot.interrupts else None


def check_decision(decision: str, role: str) -> DecisionWord:
    """Only "confirm" or "cancel", and only from the customer (an analyst may read, never act)."""
    if decision not in ("confirm", "cancel"):
        raise InvalidInputError('The decision must be "confirm" or "cancel".')
    if role != "customer":
        raise PermissionDeniedError(prompts.ANALYST_CANNOT_ACT)
    return decision  # type: ignore[return-value]


def resume_command(decision: DecisionWord) -> Command:
    """The command that resumes the waiting confirm_action node with the decision."""
    return Command(resume={"decision": decision}, update=DECISION_RESET)


def supersede_command() -> Command:
    """The command that settles a waiting action as cancelled because a new message came."""
    return Command(resume={"decision": "cancel", "superseded": True}, update=DECISION_RESET)


def not_pending(store: AccountStore, customer_id: str | None, action_id: str | None) -> NothingToConfirmError:
    """The answer to a decision with nothing to resume: what became of the action, when we know it."""
    status = action_status(store, action_id, customer_id) if action_id and customer_id else None
    message = already(status) if status else "There is no action waiting for your confirmation in this conversation."
    return NothingToConfirmError(message)
