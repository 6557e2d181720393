"""Presidio's analyzer for tools/pii.py: its recognizers, ours (regexes and checks), and an offline spaCy engine."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from tools.pii_patterns import (
    ADDRESS_PATTERN,
    BARE_ROUTING_PATTERN,
    CARD_PATTERN,
    DOB_PATTERN,
    EMAIL_PATTERN,
    GAP,
    KEYWORDS,
    LIST_NEXT,
    NUMBER_CHECKS,
    NUMBER_END,
    NUMBERS,
    OTHER_KEYWORDS,
    PERSON_PATTERNS,
    PHONE_PATTERN,
    address_ok,
    bare_routing_ok,
    card_ok,
    person_ok,
)


@contextmanager
def modules_hidden(*names: str) -> Iterator[None]:
    """`import name` fails inside the block for each module not yet imported; afterwards it imports normally."""
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # a None entry makes `import name` raise ImportError
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, "") is None:
                del sys.modules[name]


# Only the NER component (and the tok2vec it listens to) is needed: the rest costs time on every turn.
NOT_NER = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]


def build_analyzer(ner_model: str | None) -> Any:
    """An AnalyzerEngine over an offline spaCy pipeline: a blank one unless an installed NER model is named."""
    # presidio and spaCy import torch and transformers whenever they are installed (0.33 GiB, 3 s) for NER
    # engines a blank pipeline never runs; a named model may need them.
    with modules_hidden("torch", "transformers") if ner_model is None else nullcontext():
        import presidio_anonymizer  # noqa: F401  # imports the analyzer too: under the same cover
        import spacy
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    class OfflineSpacyEngine(SpacyNlpEngine):
        def load(self) -> None:
            """Use what is installed: presidio's own loader would try to download a missing model."""
            nlp = spacy.load(ner_model, exclude=NOT_NER) if ner_model else spacy.blank("en")
            self.nlp = {"en": nlp}  # type: ignore[assignment]  # presidio types it as None

    engine = OfflineSpacyEngine(models=[{"lang_code": "en", "model_name": ner_model or "blank"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    extra = [SpacyRecognizer(supported_entities=["PERSON"])] if ner_model else []
    for recognizer in _recognizers() + extra:
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(
        nlp_engine=engine, registry=registry, supported_languages=["en"], context_aware_enhancer=_no_context_boost()
    )


def _no_context_boost() -> Any:
    """An enhancer that leaves scores alone: our keyword recognizers read the context themselves.

    presidio's default rescans every token for every hit: quadratic, 1.9 s on a 100,000-character paste.
    """
    from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

    class NoContextBoost(ContextAwareEnhancer):
        def enhance_using_context(self, text: str, raw_results: list[Any], *args: Any, **kwargs: Any) -> list[Any]:
            """Return the results unchanged."""
            return raw_results

    return NoContextBoost(0, 0, 0, 0)


def _recognizers() -> list[Any]:
    """Presidio's IBAN, phone and SSN recognizers, and ours for everything they miss or do not cover."""
    from presidio_analyzer import Pattern, PatternRecognizer
    from presidio_analyzer.predefined_recognizers import IbanRecognizer, PhoneRecognizer, UsSsnRecognizer

    # presidio's EmailRecognizer validates TLDs with tldextract, which tries to download a suffix list.
    email = PatternRecognizer("EMAIL_ADDRESS", patterns=[Pattern("email", EMAIL_PATTERN, 0.9)])
    # A US bank's customers: other regions' rules read routing and order numbers as foreign phones.
    phone = PhoneRecognizer(supported_regions=("US",))
    ours = [
        finder_recognizer("PHONE_NUMBER", pattern_finder(PHONE_PATTERN), 0.5, "us_phone_shape"),
        finder_recognizer("CREDIT_CARD", pattern_finder(CARD_PATTERN, lambda m: card_ok(m["value"])), 0.9, "card"),
        finder_recognizer("DATE_OF_BIRTH", pattern_finder(DOB_PATTERN), 0.9, "date_of_birth"),
        finder_recognizer("STREET_ADDRESS", pattern_finder(ADDRESS_PATTERN, address_ok), 0.7, "street_address"),
        finder_recognizer("PERSON", pattern_finder(PERSON_PATTERNS, person_ok), 0.6, "person_in_context"),
        # Below the keyword types (0.9): "my SSN is ..." and "acct ..." keep their own type for the same digits.
        finder_recognizer("ABA_ROUTING", pattern_finder(BARE_ROUTING_PATTERN, bare_routing_ok), 0.6, "bare_routing"),
    ]
    keyword_types = [finder_recognizer(e, keyword_finder(e), 0.9, f"{e.lower()}_by_keyword") for e in KEYWORDS]
    return [UsSsnRecognizer(), IbanRecognizer(), phone, email, *ours, *keyword_types]


Finder = Callable[[str], Iterator[tuple[int, int]]]


def pattern_finder(patterns: str | tuple[str, ...], validate: Callable[[re.Match[str]], bool] | None = None) -> Finder:
    """Spans of the `value` group of each pattern's matches that pass `validate`."""
    regexes = [re.compile(p) for p in ((patterns,) if isinstance(patterns, str) else patterns)]

    def find(text: str) -> Iterator[tuple[int, int]]:
        for regex in regexes:
            for match in regex.finditer(text):
                if validate is None or validate(match):
                    yield match.span("value")

    return find


def keyword_finder(entity: str) -> Finder:
    """Numbers named by their keyword, before or after them, and the rest of a list they start."""
    keywords, number = KEYWORDS[entity], NUMBERS[entity]
    before = re.compile(rf"(?i)\b(?:{keywords}){GAP}(?<!\w)(?P<value>{number}){NUMBER_END}")
    after = re.compile(
        rf"(?i)(?<![\w.-])(?P<value>{number}){NUMBER_END}[^\w\n]{{0,3}}\s*(?:is|was|are|=)\s+"
        rf"(?:my|the|our|his|her|their)\s+(?:\w+\s+){{0,2}}?(?:{keywords})\b"
    )
    following = re.compile(rf"{LIST_NEXT}(?<!\w)(?P<value>{number}){NUMBER_END}", re.IGNORECASE)
    other_words = [words for kind, words in (KEYWORDS | OTHER_KEYWORDS).items() if kind != entity]
    others = re.compile(rf"(?i)\b(?:{'|'.join(other_words)})")
    valid = NUMBER_CHECKS[entity]

    def find(text: str) -> Iterator[tuple[int, int]]:
        for match in before.finditer(text):
            if valid(match["value"]) and not others.search(match["gap"]):
                yield match.span("value")
                yield from _list_rest(text, match.end("value"), following, valid)
        for match in after.finditer(text):
            if valid(match["value"]):
                yield match.span("value")

    return find


def _list_rest(
    text: str, at: int, following: re.Pattern[str], valid: Callable[[str], bool]
) -> Iterator[tuple[int, int]]:
    """The values that go on a list after its first one, while each one passes the check."""
    while (match := following.match(text, at)) and valid(match["value"]):
        yield match.span("value")
        at = match.end("value")


def finder_recognizer(entity: str, find: Finder, score: float, name: str) -> Any:
    """A presidio recognizer for the spans `find` returns."""
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    class FinderRecognizer(EntityRecognizer):
        def load(self) -> None:
            """Nothing to load: the recognizer is regexes and checks."""

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            """Return every span the finder reports."""
            return [RecognizerResult(entity, start, end, score) for start, end in find(text)]

    return FinderRecognizer(supported_entities=[entity], name=name)
