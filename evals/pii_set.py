"""A seeded set of chat strings labelled with their PII spans and with near-misses that must stay unmasked.

The set is built from the PII spec, not from the masker: valid values of each type (Luhn cards of real
brand prefixes, ABA-checksummed routing numbers, mod-97 IBANs, SSNs in issued ranges, US phones) in
varied separators and groupings, inside sentences, next to punctuation and in lists, plus look-alikes
(order numbers, amounts, non-birth dates, Luhn-failing 16-digit numbers, 9-digit numbers failing the ABA
checksum, ZIP codes, reference codes). Some messages are one bare number and nothing else, as customers
paste a routing number (or a figure that only looks like one).

    from evals.pii_set import generate
    samples = generate(seed=0, count=1000)
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from evals.pii_values import VALUES, card_number, format_card, phone

STRUCTURED = ("CARD", "SSN", "ROUTING", "ACCOUNT", "IBAN", "EMAIL", "PHONE")
CONTEXTUAL = ("DOB", "ADDRESS", "PERSON")
PII_KINDS = STRUCTURED + CONTEXTUAL
NEAR_MISS_KINDS = ("ORDER", "AMOUNT", "DATE", "LUHN_FAIL", "ABA_FAIL", "ZIP", "REF")
# What a customer may paste with no words around it: a routing number, or nine digits that fail its checksum.
ALONE_KINDS = ("ROUTING", "ABA_FAIL")


@dataclass(frozen=True)
class Span:
    """One labelled value: its kind (a placeholder label or a near-miss kind), characters and offsets."""

    kind: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Sample:
    """A string, the PII a masker must replace, and the look-alikes it must leave alone."""

    text: str
    gold: tuple[Span, ...]
    near_misses: tuple[Span, ...]


# A sentence is a list of parts: literal text, or a (kind, value) pair that gets labelled.
Part = str | tuple[str, str]

# The sentences' frames and trimmings are data (evals/data/pii_frames.json). In a frame, "{}" is where the value
# goes. SSNs and account numbers always carry their keyword: a bare 9-digit number is one of them only by what
# the sentence says about it. A routing number also comes bare ("{}", "here: {}"): its checksum says what it is.
_WORDING = json.loads((Path(__file__).parent / "data" / "pii_frames.json").read_text(encoding="utf-8"))
FRAMES: dict[str, list[str]] = _WORDING["frames"]
LIST_INTROS: dict[str, str] = _WORDING["list_intros"]
OPENERS: list[str] = _WORDING["openers"]
CLOSERS: list[str] = _WORDING["closers"]
JOINERS: list[str] = _WORDING["joiners"]
WRAPS: list[tuple[str, str]] = [(opening, closing) for opening, closing in _WORDING["wraps"]]


def clause(rng: random.Random, kind: str, value: str | None = None) -> list[Part]:
    """One frame of `kind` around one value, sometimes with punctuation hugging the value."""
    before, after = rng.choice(FRAMES[kind]).split("{}")
    wrap_open, wrap_close = rng.choice(WRAPS) if kind in PII_KINDS and "<" not in before else ("", "")
    return [before + wrap_open, (kind, value or VALUES[kind](rng)), wrap_close + after]


def listing(rng: random.Random, kind: str) -> list[Part]:
    """Two or three values of one kind: inline with commas, semicolons, 'and', 'or', or a bulleted list."""
    values = [VALUES[kind](rng) for _ in range(rng.randint(2, 3))]
    if rng.random() < 0.25:
        parts: list[Part] = [LIST_INTROS[kind].rstrip(": ") + ":\n"]
        for i, value in enumerate(values):
            parts += ["- " if i == 0 else "\n- ", (kind, value)]
        return parts
    sep, last = rng.choice([(", ", " and "), (", ", ", "), ("; ", "; "), (" / ", " or "), (", ", ", and ")])
    parts = [LIST_INTROS[kind]]
    for i, value in enumerate(values):
        parts += [(sep if i < len(values) - 1 else last) if i else "", (kind, value)]
    return parts


def repeated(rng: random.Random) -> list[Part]:
    """The same card or phone twice, grouped differently: both must get the same placeholder."""
    if rng.random() < 0.5:
        number = card_number(rng)
        return ["card ", ("CARD", format_card(rng, number)), ", sorry I mean ", ("CARD", format_card(rng, number))]
    first = phone(rng)
    digits_only = "".join(c for c in first if c.isdigit())[-10:]
    again = f"{digits_only[:3]}-{digits_only[3:6]}-{digits_only[6:]}"
    return ["call ", ("PHONE", first), " (that is ", ("PHONE", again), ")"]


def joined(rng: random.Random, *clauses: list[Part]) -> list[Part]:
    parts: list[Part] = []
    for i, each in enumerate(clauses):
        parts += ([rng.choice(JOINERS)] if i else []) + each
    return parts


def alone(rng: random.Random) -> list[Part]:
    """The whole message is one number, with no opener, closer or punctuation."""
    kind = rng.choice(ALONE_KINDS)
    return [(kind, VALUES[kind](rng))]


def scenario(rng: random.Random) -> list[Part]:
    """A single value, two kinds, a list, near-misses alone or beside PII, one bare number, or one value said twice."""
    roll = rng.random()
    if roll < 0.40:
        body = clause(rng, rng.choice(PII_KINDS))
    elif roll < 0.55:
        first, second = rng.sample(PII_KINDS, 2)
        body = joined(rng, clause(rng, first), clause(rng, second))
    elif roll < 0.67:
        body = listing(rng, rng.choice(STRUCTURED))
    elif roll < 0.83:
        body = joined(rng, *(clause(rng, kind) for kind in rng.sample(NEAR_MISS_KINDS, rng.randint(1, 2))))
    elif roll < 0.94:
        body = joined(rng, clause(rng, rng.choice(PII_KINDS)), clause(rng, rng.choice(NEAR_MISS_KINDS)))
    elif roll < 0.97:
        return alone(rng)  # no opener or closer: the message is the number
    else:
        body = repeated(rng)
    return [rng.choice(OPENERS), *body, rng.choice(CLOSERS)]


def respaced(rng: random.Random, literal: str) -> str:
    """People type 'SSN:123', 'card  4111' and 'id : 5': vary the spacing of literal text, never of values."""
    if rng.random() < 0.15:
        literal = literal.replace(": ", rng.choice([":", " : ", ":  ", ":\t"]))
    if rng.random() < 0.1 and literal.endswith(" "):
        literal += " "
    return literal


def compose(rng: random.Random, parts: list[Part]) -> Sample:
    """Join the parts into one string, recording where each labelled value landed."""
    text = ""
    gold: list[Span] = []
    near: list[Span] = []
    for part in parts:
        if isinstance(part, str):
            text += respaced(rng, part)
            continue
        kind, value = part
        span = Span(kind, value, len(text), len(text) + len(value))
        (gold if kind in PII_KINDS else near).append(span)
        text += value
    return Sample(text, tuple(gold), tuple(near))


def generate(seed: int = 0, count: int = 1000) -> list[Sample]:
    """`count` labelled strings; the same seed gives the same set."""
    rng = random.Random(seed)
    return [compose(rng, scenario(rng)) for _ in range(count)]


if __name__ == "__main__":
    for sample in generate(count=40):
        print(
            repr(sample.text), [(s.kind, s.value) for s in sample.gold], [(s.kind, s.value) for s in sample.near_misses]
        )
