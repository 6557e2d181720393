"""The personas' conversations, filled from their templates with seeded variation.

Each persona draws from its own generator, seeded with the suite's seed and its id, so a persona's messages
are the same on every run, whichever personas run with it (`--limit`). Wordings come from `{a|b}` slots,
PII values from the PII suite's generators (evals/pii_values.py), typos from the scope guard's own
misspeller (finetune/typos.py), applied to the template's words and never to a PII value.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from evals import pii_values
from evals.conversation_personas import NAME_SLOT, SLOT, Expect, Persona
from finetune.typos import misspell

SEED = 30  # the issue asked for at least 30 personas; change it only to draw new wordings on purpose
PII_MAKERS: dict[str, Callable[[random.Random], str]] = {
    "card": pii_values.card,
    "ssn": pii_values.ssn,
    "account": pii_values.account,
    "phone": pii_values.phone,
    "email": pii_values.email,
}


@dataclass(frozen=True)
class ScriptedTurn:
    """One message as the customer types it, whose data it is about, and what its answer must show."""

    message: str
    customer_id: str  # the signed-in customer, or the analyst's pick at this turn
    pii: tuple[str, ...] = ()  # PII values in the message, as typed
    expect: Expect = Expect()


@dataclass(frozen=True)
class Conversation:
    """A persona's turns, ready to send."""

    persona: Persona
    turns: tuple[ScriptedTurn, ...]


def generate(personas: list[Persona], customers: Mapping[str, str], seed: int = SEED) -> list[Conversation]:
    """Every persona's conversation; the same seed gives the same messages."""
    return [script(persona, customers, seed) for persona in personas]


def script(persona: Persona, customers: Mapping[str, str], seed: int = SEED) -> Conversation:
    """One persona's turns, its slots filled; an analyst's pick holds until the next one."""
    rng = random.Random(f"{seed}:{persona.id}")
    selected, turns = persona.customer, []
    for spec in persona.turns:
        selected = spec.customer or selected
        message, pii = fill(spec.say, rng, customers, spec.typos)
        turns.append(ScriptedTurn(message, selected, pii, spec.expect))
    return Conversation(persona, tuple(turns))


def fill(
    template: str, rng: random.Random, customers: Mapping[str, str], typos: bool = False
) -> tuple[str, tuple[str, ...]]:
    """The template with its slots filled, and the PII values it now holds.

    With `typos`, each stretch of typed words is misspelled as a whole (about one slip in 15 characters, as the
    guard's training copies); a PII value stays as pasted.
    """
    chunks, pii, at = [""], [], 0  # even places: words the customer types; odd places: PII values, pasted
    for match in SLOT.finditer(template):
        chunks[-1] += template[at : match.start()]
        slot, at = match.group(1), match.end()
        if slot in PII_MAKERS:
            pii.append(PII_MAKERS[slot](rng))
            chunks += [pii[-1], ""]
        elif name := NAME_SLOT.fullmatch(slot):
            chunks[-1] += customers[name.group(1)]
        else:
            chunks[-1] += rng.choice(slot.split("|"))
    chunks[-1] += template[at:]
    if typos:
        chunks = [misspell(c, rng) if n % 2 == 0 and len(c.strip()) >= 4 else c for n, c in enumerate(chunks)]
    return "".join(chunks), tuple(pii)
