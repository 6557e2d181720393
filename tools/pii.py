"""PII masking with presidio: its pattern recognizers plus ours, numbered placeholders such as <CARD_1>.

Structured values are found by shape and checksum (cards: brand prefix and Luhn, in any grouping;
routing numbers: the ABA checksum; IBANs: mod 97) or by the keyword that names them. Nine digits
alone that pass the ABA checksum with a Federal Reserve prefix are a routing number, unless a keyword
names them an SSN or an account number, a currency makes them an amount, or an order, reference or
case word goes before them; an SSN or an account number needs its keyword. Dates of birth
need a birth keyword; street addresses a number, a name and a suffix. Person names are found by
context only ("my name is", "Name:", "payee", "send $50 to"), unless `ner_model` names an installed
spaCy pipeline with an NER component.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tools.pii_memory import PlaceholderMemory
from tools.pii_patterns import LOOK_ALIKE_CONTEXT
from tools.pii_recognizers import build_analyzer

# presidio entity type -> our placeholder label
LABELS = {
    "CREDIT_CARD": "CARD",
    "US_SSN": "SSN",
    "ABA_ROUTING": "ROUTING",
    "BANK_ACCOUNT": "ACCOUNT",
    "IBAN_CODE": "IBAN",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "DATE_OF_BIRTH": "DOB",
    "STREET_ADDRESS": "ADDRESS",
    "PERSON": "PERSON",
}
# Lower-scored pattern hits (presidio's phones at 0.4) lose to specific, validated types (0.9).
MIN_SCORE = 0.4


@dataclass(frozen=True)
class MaskedText:
    """The masked text, which placeholder stands for which entity type, and for which value as written.

    `values` is for the writer's own view only (tools/own_values.py): it is never stored.
    """

    text: str
    placeholders: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)


def canonical(value: str, entity: str = "") -> str:
    """One spelling per value: 4111-1111-1111-1111 and 4111 1111 1111 1111 are the same card."""
    if entity == "PHONE_NUMBER":
        digits = re.sub(r"\D", "", value)
        return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    return re.sub(r"[\s().-]", "", value).lower()


class PiiMasker:
    """Finds PII and replaces each distinct value with a numbered placeholder."""

    def __init__(self, ner_model: str | None = None) -> None:
        """Build presidio's engines now, so the first turn does not pay for it.

        Args:
            ner_model: an installed spaCy pipeline (e.g. "en_core_web_sm") whose PERSON entities are
                masked too; None keeps the tokenizer-only pipeline and the context rules for names.
        """
        self._analyzer = build_analyzer(ner_model)
        from presidio_anonymizer import AnonymizerEngine

        self._anonymizer = AnonymizerEngine()

    def mask(self, text: str, memory: PlaceholderMemory | None = None) -> MaskedText:
        """Mask `text`; the same value gets the same placeholder, numbered in reading order.

        With a conversation's `memory`, values it has seen keep their placeholders and new ones continue
        its numbering; the memory records them.
        """
        from presidio_anonymizer.entities import OperatorConfig

        hits = self._hits(text)
        names = self._placeholder_names(text, hits, memory or PlaceholderMemory(b""))
        operators = {
            kind: OperatorConfig("custom", {"lambda": lambda value, kind=kind: names[(kind, canonical(value, kind))]})
            for kind in {hit.entity_type for hit in hits}
        }
        masked = self._anonymizer.anonymize(text, hits, operators=operators, merge_entities_with_spaces=False)
        kinds = {placeholder: kind for (kind, _), placeholder in names.items()}
        values = {
            names[(h.entity_type, canonical(text[h.start : h.end], h.entity_type))]: text[h.start : h.end] for h in hits
        }
        return MaskedText(masked.text, kinds, values)

    def _hits(self, text: str) -> list[Any]:
        """The PII spans to mask, without look-alikes or overlaps, in reading order."""
        found = self._analyzer.analyze(text, language="en", score_threshold=MIN_SCORE)
        return self._non_overlapping([hit for hit in found if not _look_alike(text, hit)])

    @staticmethod
    def _placeholder_names(text: str, hits: list[Any], memory: PlaceholderMemory) -> dict[tuple[str, str], str]:
        """Number each distinct (type, value) in reading order: <CARD_1>, <CARD_2>, ..."""
        names: dict[tuple[str, str], str] = {}
        for hit in hits:
            key = (hit.entity_type, canonical(text[hit.start : hit.end], hit.entity_type))
            names[key] = memory.placeholder(LABELS[hit.entity_type], key[1])
        return names

    @staticmethod
    def _non_overlapping(hits: list[Any]) -> list[Any]:
        """Keep the best-scored (then longest) hit wherever hits overlap, in reading order."""
        kept: list[Any] = []
        for hit in sorted(hits, key=lambda h: (-h.score, -(h.end - h.start), h.start)):
            if all(hit.end <= other.start or hit.start >= other.end for other in kept):
                kept.append(hit)
        return sorted(kept, key=lambda h: h.start)


def _look_alike(text: str, hit: Any) -> bool:
    """A phone- or SSN-shaped number right after "order #", "ref", "tracking"... names something else."""
    if hit.entity_type not in {"PHONE_NUMBER", "US_SSN"}:
        return False
    return LOOK_ALIKE_CONTEXT.search(text[max(0, hit.start - 30) : hit.start]) is not None
