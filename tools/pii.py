"""PII masking with presidio: pattern recognizers, numbered placeholders such as <CARD_1>."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# presidio entity type -> our placeholder label
LABELS = {
    "CREDIT_CARD": "CARD",
    "US_SSN": "SSN",
    "ABA_ROUTING": "ROUTING",
    "BANK_ACCOUNT": "ACCOUNT",
    "IBAN_CODE": "IBAN",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
}
# Lower-scored pattern hits (bare 9-digit numbers as "phones") lose to specific, validated types.
MIN_SCORE = 0.4
EMAIL_PATTERN = r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
ROUTING_PATTERN = r"(?i)\b(?:routing|aba|rtn|transit)\b[^0-9\n]{0,25}(?P<value>\d{9})\b"
ACCOUNT_PATTERN = r"(?i)\b(?:account|acct|a/c)\b[^0-9\n]{0,20}(?P<value>\d{6,17})\b"


@dataclass(frozen=True)
class MaskedText:
    """The masked text and which placeholder stands for which entity type."""

    text: str
    placeholders: dict[str, str]


def aba_checksum_ok(digits: str) -> bool:
    """ABA routing numbers satisfy 3*(d1+d4+d7) + 7*(d2+d5+d8) + (d3+d6+d9) = 0 mod 10."""
    d = [int(c) for c in digits]
    total = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    return len(d) == 9 and total % 10 == 0


def canonical(value: str) -> str:
    """One spelling per value: 4111-1111-1111-1111 and 4111 1111 1111 1111 are the same card."""
    compact = re.sub(r"[\s().-]", "", value)
    return compact.lower()


class PiiMasker:
    """Finds structured PII and replaces each distinct value with a numbered placeholder."""

    def __init__(self) -> None:
        """Build presidio's engines now, so the first turn does not pay for it."""
        self._analyzer = _build_analyzer()
        from presidio_anonymizer import AnonymizerEngine

        self._anonymizer = AnonymizerEngine()

    def mask(self, text: str) -> MaskedText:
        """Mask `text`; the same value gets the same placeholder, numbered in reading order."""
        from presidio_anonymizer.entities import OperatorConfig

        hits = self._non_overlapping(self._analyzer.analyze(text, language="en", score_threshold=MIN_SCORE))
        names = self._placeholder_names(text, hits)
        operators = {
            kind: OperatorConfig("custom", {"lambda": lambda value, kind=kind: names[(kind, canonical(value))]})
            for kind in {hit.entity_type for hit in hits}
        }
        masked = self._anonymizer.anonymize(text, hits, operators=operators, merge_entities_with_spaces=False)
        return MaskedText(masked.text, {placeholder: kind for (kind, _), placeholder in names.items()})

    @staticmethod
    def _placeholder_names(text: str, hits: list[Any]) -> dict[tuple[str, str], str]:
        """Number each distinct (type, value) in reading order: <CARD_1>, <CARD_2>, ..."""
        names: dict[tuple[str, str], str] = {}
        for hit in hits:
            key = (hit.entity_type, canonical(text[hit.start : hit.end]))
            if key not in names:
                count = sum(1 for kind, _ in names if kind == hit.entity_type)
                names[key] = f"<{LABELS[hit.entity_type]}_{count + 1}>"
        return names

    @staticmethod
    def _non_overlapping(hits: list[Any]) -> list[Any]:
        """Keep the best-scored (then longest) hit wherever hits overlap, in reading order."""
        kept: list[Any] = []
        for hit in sorted(hits, key=lambda h: (-h.score, -(h.end - h.start), h.start)):
            if all(hit.end <= other.start or hit.start >= other.end for other in kept):
                kept.append(hit)
        return sorted(kept, key=lambda h: h.start)


def _build_analyzer() -> Any:
    """An AnalyzerEngine over a blank spaCy pipeline: pattern recognizers need no NER model download."""
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    class BlankSpacyEngine(SpacyNlpEngine):
        def load(self) -> None:
            """A tokenizer-only pipeline: nothing to download."""
            self.nlp = {"en": spacy.blank("en")}  # type: ignore[assignment]  # presidio types it as None

    engine = BlankSpacyEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in _recognizers():
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])


def _recognizers() -> list[Any]:
    """Presidio's validated recognizers plus ours for emails, routing and account numbers."""
    from presidio_analyzer import Pattern, PatternRecognizer
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        IbanRecognizer,
        PhoneRecognizer,
        UsSsnRecognizer,
    )

    # presidio's EmailRecognizer validates TLDs with tldextract, which tries to download a suffix list.
    email = PatternRecognizer("EMAIL_ADDRESS", patterns=[Pattern("email", EMAIL_PATTERN, 0.9)])
    routing = keyword_number_recognizer("ABA_ROUTING", ROUTING_PATTERN, validate=aba_checksum_ok)
    account = keyword_number_recognizer("BANK_ACCOUNT", ACCOUNT_PATTERN)
    return [CreditCardRecognizer(), UsSsnRecognizer(), IbanRecognizer(), PhoneRecognizer(), email, routing, account]


def keyword_number_recognizer(entity: str, pattern: str, validate: Callable[[str], bool] | None = None) -> Any:
    """A recognizer for a number introduced by a keyword ("routing 021000021"); only the number is masked."""
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    regex = re.compile(pattern)

    class KeywordNumberRecognizer(EntityRecognizer):
        def load(self) -> None:
            """Nothing to load: the recognizer is a regex."""

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            """Return the numbers that follow the keyword and pass the validator."""
            return [
                RecognizerResult(entity, match.start("value"), match.end("value"), 0.9)
                for match in regex.finditer(text)
                if validate is None or validate(match.group("value"))
            ]

    return KeywordNumberRecognizer(supported_entities=[entity], name=f"{entity}_recognizer")
