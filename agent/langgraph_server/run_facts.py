"""Who a run on LangGraph's server is for: the customer, the role and the user, from the run's context and login.

The message never names them. With our auth hook (agent/langgraph_server/auth.py), the role and user come from
the caller's API key and a customer may name only their own customer id; without a login (a bare
`langgraph dev`, or Studio's own user) the run's context is taken as the operator wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

from agent import prompts
from tools.errors import InvalidInputError, PermissionDeniedError
from tools.users import Role
from tools.validation import validate_customer_id, validate_message

ROLES: tuple[str, ...] = get_args(Role)  # the roles a user may have (tools/users.py)


@dataclass(frozen=True)
class RunFacts:
    """The run's context on LangGraph's server (`context={...}` in the SDK, the context panel in Studio)."""

    customer_id: str | None = None
    role: str | None = None  # without a login, None is "customer"; with one, the login's role


@dataclass(frozen=True)
class Asker:
    """The facts a turn runs with, checked."""

    customer_id: str | None
    role: str
    user: str | None


def check_context_fields(context: Mapping[str, Any] | None) -> RunFacts:
    """The run's context as RunFacts; an unknown field or a malformed value is one clear sentence."""
    fields = dict(context or {})
    if unknown := sorted(set(fields) - set(RunFacts.__dataclass_fields__)):
        allowed = ", ".join(RunFacts.__dataclass_fields__)
        raise InvalidInputError(f"Unknown run context field {unknown[0][:40]!r}; the fields are: {allowed}.")
    customer_id, role = fields.get("customer_id"), fields.get("role")
    if customer_id is not None and not isinstance(customer_id, str):
        raise InvalidInputError("A customer id is 1-40 letters, digits, _ or -.")
    if role is not None and role not in ROLES:
        raise InvalidInputError(f"The role must be one of: {', '.join(ROLES)}.")
    return RunFacts(validate_customer_id(customer_id) if customer_id is not None else None, role)


def check_run_payload(turn_input: Any, command: Any, max_chars: int) -> None:
    """A run is a message ({"message": "..."}) or a decision on a waiting action (resume {"decision": ...})."""
    if command is not None:
        resume = command.get("resume") if isinstance(command, dict) else None
        if set(command or {}) - {"resume"} or not isinstance(resume, dict) or set(resume) != {"decision"}:
            raise InvalidInputError('A decision is `command={"resume": {"decision": "confirm" | "cancel"}}`.')
        if resume["decision"] not in ("confirm", "cancel"):
            raise InvalidInputError('The decision must be "confirm" or "cancel".')
        return
    if not isinstance(turn_input, dict) or set(turn_input) != {"message"} or not isinstance(turn_input["message"], str):
        raise InvalidInputError('A run\'s input is `{"message": "<the customer\'s text>"}`.')
    validate_message(turn_input["message"], max_chars)


def asker(facts: RunFacts, login: Any, *, acting: bool = False) -> Asker:
    """The turn's asker: from the login when it is one of our users, else from the context.

    `login` is the server's user object (dict-like), or None. `acting` is a decision on a waiting action,
    which only a customer may take.
    """
    facts = check_context_fields({"customer_id": facts.customer_id, "role": facts.role})
    if login is None or "role" not in login:  # no auth hook, or Studio's own user: the operator's context
        found = Asker(facts.customer_id, facts.role or "customer", None)
    else:
        found = _logged_in(facts, login)
    if acting and found.role != "customer":
        raise PermissionDeniedError(prompts.ANALYST_CANNOT_ACT)
    return found


def _logged_in(facts: RunFacts, login: Mapping[str, Any]) -> Asker:
    """A customer's run is about that customer only; an analyst names the customer they are looking at."""
    role, user = str(login["role"]), str(login["identity"])
    if facts.role not in (None, role):
        raise PermissionDeniedError(f"Your API key has the {role} role; a run cannot change it.")
    if role == "analyst":
        return Asker(facts.customer_id, role, user)
    own = login["customer_id"]
    if facts.customer_id not in (None, own):
        raise PermissionDeniedError("A customer's run can only be about their own customer id.")
    return Asker(own, role, user)
