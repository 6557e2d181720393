"""The simulated customers' personas: the file format and its checks.

`evals/data/personas.jsonl` holds one persona a line: who it is (a customer, or an analyst who picks customers
between turns), what it wants (the goal) and 4 to 8 turns. A turn is a message template and what its answer
must show: the route, phrases of which one must appear, phrases that must not. Every turn is also checked for
facts from the right customer's reports only, no raw PII echoed and no prompt text (evals/conversation_checks.py).

Templates fill slots with seeded variation (evals/conversation_generate.py): `{fee|charge}` picks one wording,
`{card}`, `{ssn}`, `{account}`, `{phone}`, `{email}` make up a PII value, `{name:C0002}` is that customer's name.

A file that does not parse, or names a customer the store does not hold, is refused with one line,
`<file>:<line>: <why>`, before any model loads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tools.errors import InvalidInputError

PERSONAS_PATH = Path(__file__).parent / "data" / "personas.jsonl"
PersonaKind = Literal[
    "banking", "credit", "impatient", "follow_up", "topic_switch", "clarify", "pii", "cross_customer",
    "injection", "analyst_switch", "account",
]  # fmt: skip
ExpectedRoute = Literal["banking", "credit", "account", "handoff", "smalltalk", "out_of_scope", "clarify"]
PII_SLOTS = ("card", "ssn", "account", "phone", "email")
SLOT = re.compile(r"\{([^{}]*)\}")
NAME_SLOT = re.compile(r"name:(\S+)")


class Expect(BaseModel):
    """What one turn's answer must show; an empty field is not checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    route: tuple[ExpectedRoute, ...] = ()  # any of these
    must_include: tuple[str, ...] = ()  # at least one of these phrases
    must_not_include: tuple[str, ...] = ()  # none of these phrases

    @field_validator("route", mode="before")
    @classmethod
    def one_or_many(cls, value: object) -> object:
        """`"banking"` is short for `["banking"]`."""
        return (value,) if isinstance(value, str) else value


class TurnSpec(BaseModel):
    """One customer message (a template) and its expectations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    say: str = Field(min_length=1)
    typos: bool = False  # misspell the template's own words, as a hurried customer types
    customer: str | None = None  # an analyst picks this customer before the turn, as in the web UI's settings
    expect: Expect = Expect()


class Persona(BaseModel):
    """A simulated customer: who, what for, and the conversation's turns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")
    kind: PersonaKind
    role: Literal["customer", "analyst"]
    customer: str  # the customer signed in, or the analyst's first pick
    goal: str = Field(min_length=1)
    target: str | None = None  # another customer whose data the persona tries to get
    turns: tuple[TurnSpec, ...] = Field(min_length=4, max_length=8)


def load_personas(path: Path, customers: Mapping[str, str]) -> list[Persona]:
    """The personas of a JSONL file, checked against the store's customers (id -> name); blank lines skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: cannot read the persona file ({type(exc).__name__}).") from exc
    personas: list[Persona] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            persona = parse_persona(line, customers, f"{path}:{number}")
            if any(p.id == persona.id for p in personas):
                raise InvalidInputError(f"{path}:{number}: persona id {persona.id!r} is used twice.")
            personas.append(persona)
    if not personas:
        raise InvalidInputError(f"{path}: the persona file holds no persona.")
    return personas


def parse_persona(line: str, customers: Mapping[str, str], where: str) -> Persona:
    """One line as a persona; `where` (`file:line`) opens the error of a line that is not one."""
    try:
        persona = Persona.model_validate(json.loads(line))
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}).") from exc
    except ValidationError as exc:
        raise InvalidInputError(f"{where}: {_first_error(exc)}") from exc
    problem = persona_problem(persona, customers)
    if problem:
        raise InvalidInputError(f"{where}: {problem}")
    return persona


def persona_problem(persona: Persona, customers: Mapping[str, str]) -> str | None:
    """What is wrong with a well-formed persona (an unknown customer, a bad slot, a switching customer), if anything."""
    named = [("customer", persona.customer), ("target", persona.target)]
    named += [(f"turns.{n}.customer", t.customer) for n, t in enumerate(persona.turns)]
    for n, turn in enumerate(persona.turns):
        problem = template_problem(turn.say)
        if problem:
            return f"turns.{n}.say: {problem}"
        named += [(f"turns.{n}.say", m.group(1)) for slot in SLOT.findall(turn.say) if (m := NAME_SLOT.fullmatch(slot))]
    for field, customer_id in named:
        if customer_id is not None and customer_id not in customers:
            return f"{field}: there is no customer {customer_id[:40]!r} (the demo customers are {_span(customers)})."
    if persona.role == "customer" and any(t.customer for t in persona.turns):
        return "a customer cannot pick another customer between turns; only an analyst can."
    return None


def template_problem(template: str) -> str | None:
    """Why a message template cannot be filled (an unknown slot, a stray brace), or None."""
    for slot in SLOT.findall(template):
        if "|" not in slot and slot not in PII_SLOTS and not NAME_SLOT.fullmatch(slot):
            return f"unknown slot {{{slot}}} (use {{a|b}}, {{name:C0001}} or one of {', '.join(PII_SLOTS)})."
    if "{" in SLOT.sub("", template) or "}" in SLOT.sub("", template):
        return "a brace without its pair."
    return None


def _first_error(exc: ValidationError) -> str:
    """Pydantic's first complaint as `field.path: message`, with how many there were."""
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "the line"
    more = f" ({len(errors)} errors)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}."


def _span(customers: Mapping[str, str]) -> str:
    """`C0001 to C0050`."""
    ids = sorted(customers)
    return f"{ids[0]} to {ids[-1]}" if ids else "none"
