"""PII masking with presidio: its pattern recognizers plus ours, numbered placeholders such as <CARD_1>.

Structured values are found by shape and checksum (cards: brand prefix and Luhn, in any grouping;
routing numbers: the ABA checksum; IBANs: mod 97) or by the keyword that names them: a bare 9-digit
number is an SSN, a routing or an account number only when the sentence says which. Dates of birth
need a birth keyword; street addresses a number, a name and a suffix. Person names are found by
context only ("my name is", "Name:", "payee", "send $50 to"), unless `ner_model` names an installed
spaCy pipeline with an NER component.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tools.pii_memory import PlaceholderMemory

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

EMAIL_PATTERN = r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
# 12 to 19 digits, one space, dash or dot allowed between any two: "4111 1111 1111 1111", "3782-822463-10005".
CARD_PATTERN = r"(?<![\w.-])(?P<value>\d(?:[ .-]?\d){11,18})(?!\w|[.-]\d)"
# (first digits, allowed lengths) of the brands in circulation: Visa, Mastercard (old and 2-series),
# Amex, Discover, Diners, JCB (and its old 15-digit ranges), UnionPay, Maestro.
CARD_BRANDS = (
    (("4",), (13, 16, 19)),
    (tuple(str(n) for n in range(51, 56)) + tuple(str(n) for n in range(2221, 2721)), (16,)),
    (("34", "37"), (15,)),
    (("6011", "65") + tuple(str(n) for n in range(644, 650)), (16, 17, 18, 19)),
    (("36", "38") + tuple(str(n) for n in range(300, 306)), (14,)),
    (tuple(str(n) for n in range(3528, 3590)) + ("62",), (16, 17, 18, 19)),
    (("2131", "1800"), (15,)),
    (("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763", "0604"), tuple(range(12, 20))),
)

# Keyword types: the words that say what a number is. A number is one of these only when such a word
# sits just before it ("routing # 021000021") or just after ("021000021 is the routing number").
KEYWORDS = {
    "US_SSN": r"ssns?|social(?:\s+security)?(?:\s+(?:number|no\.?|#))?|ss\s?#",
    "ABA_ROUTING": r"routing(?:\s*/\s*transit)?|aba|rtn|transit",
    # "checking"/"savings" alone are also places money goes ("transfer $50 to savings"): number right after.
    "BANK_ACCOUNT": r"accounts?|acct|a/c|(?:checking|savings)(?=\s*[:#]?\s*\d)",
    "PHONE_NUMBER": r"phones?|cell|mobile|call|text|fax|tel",
}
# Words of the other types, and of look-alikes: a gap holding one ("account phone 2125550134",
# "savings and reference 4085...") means the number is not the keyword's.
OTHER_KEYWORDS = {
    "EMAIL_ADDRESS": r"e-?mail",
    "CREDIT_CARD": r"card|visa|amex",
    "IBAN_CODE": r"iban",
    "LOOK_ALIKE": r"order|ref(?:erence)?|confirmation|tracking|ticket|case|invoice|transaction|txn",
}
NUMBERS = {
    "US_SSN": r"\d{3}(?P<sep>[ .-]?)\d{2}(?P=sep)\d{4}",
    "ABA_ROUTING": r"\d{9}|\d{3}(?P<sep>[ -])\d{3}(?P=sep)\d{3}",
    "BANK_ACCOUNT": r"\d(?:-?\d){5,16}",
    "PHONE_NUMBER": r"(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}",
}
# A US number written like one: "(212) 555-0134", "212.555.0134", "+1-212-555-0134 x12". phonenumbers
# (presidio's recognizer) also wants a valid area code; a new or mistyped one should not leak.
PHONE_PATTERN = (
    r"(?<![\w.+-])(?P<value>(?:(?:\+?1|001)[ .-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4}"
    r"(?:\s*(?:x|ext\.?)\s*\d{1,6})?)(?!\w|[.-]\d)"
)
# Between keyword and number: no digit, currency or sentence end, at most 25 characters on one line,
# or a list's first bullet on the next.
GAP = r"(?P<gap>(?:[^\d\n$€£;!?.]|\.(?!\s+[A-Z])){0,25}?(?:\n\s*[-*•]?\s*)?)"
NUMBER_END = r"(?!\w|[.,-]\d)"
# The next item of a list: "123, 456 and 789", "123; 456", bullets on new lines.
LIST_NEXT = r"(?:\s*[,;/&]\s*(?:(?:and|or)\s+)?|\s+(?:and|or|&)\s+|\s*\n\s*(?:[-*•]\s*)?)"
# Words that make a number something else: "order #4829301756" is not a phone.
LOOK_ALIKE_CONTEXT = re.compile(
    r"(?i)\b(?:order|ref(?:erence)?|confirmation|conf|tracking|ticket|case|invoice|transaction|txn|id)"
    r"(?:\W{0,3}(?:no|number|num|id|code))?(?:\s+(?:is|was))?\W{0,4}$"
)

MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
DATE = (
    rf"\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})|\d{{4}}[/.-]\d{{1,2}}[/.-]\d{{1,2}}"
    rf"|{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH},?\s+\d{{4}}"
)
# A birth keyword, then only connecting words ("born on", "DOB:", "date of birth is"), then the date.
DOB_PATTERN = (
    r"(?i)\b(?:born|dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|birthday|bday)"
    rf"(?:\s*(?:[:=(\[\"'-]|\bis\b|\bwas\b|\bon\b|\bin\b))*\s*(?P<value>{DATE})(?!\d)"
)
STREET_SUFFIX = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter"
    r"|parkway|pkwy|circle|cir|highway|hwy|square|sq|trail|trl|plaza"
)
# The rest of the USPS suffixes ("Smith Crossing", "Oak Ridges"): ordinary words, so capitalized lines only.
RARE_SUFFIXES = set(
    "alley arcade bayou beach bend bluff bottom branch bridge brook burg bypass camp canyon cape causeway center "
    "centre cliff club common corner course cove creek crescent crest crossing crossroad curve dale dam divide "
    "estate expressway extension fall falls ferry field flat ford forest forge fork fort freeway garden gateway "
    "glen green grove harbor haven heights hill hollow inlet island isle junction key knoll lake land landing "
    "light loaf lock lodge loop mall manor meadow mews mill mission motorway mount mountain neck orchard oval "
    "overpass park pass path pike pine plain point port prairie radial ranch rapid rest ridge river route row rue "
    "run shoal shore skyway spring spur station stravenue stream summit throughway trace track trafficway tunnel "
    "turnpike underpass union valley via viaduct view village ville vista walk wall well".split()
)
# Lower-case lines have no capitals to go by: "a 15 minute drive" and "a 2 way street" are not addresses.
FUNCTION_WORDS = set("the a an my your our this that it is in on at to of and or for with from by".split())
NOT_STREET_NAMES = FUNCTION_WORDS | set(
    "minute minutes min mins hour hours mile miles block blocks day days way".split()
)
ADDRESS_PATTERN = (
    r"(?i)(?<![\w$.,-])(?P<value>\d{1,6}[a-z]?\s+(?:(?:n|s|e|w|north|south|east|west)\.?\s+)?"
    r"(?P<name>(?:[a-z][a-z'-]*|\d{1,3}(?:st|nd|rd|th))(?:\s+[a-z][a-z'-]*){0,2})\s+"
    rf"(?P<suffix>(?:{STREET_SUFFIX}|{'|'.join(sorted(RARE_SUFFIXES))})s?)\b\.?(?:\s+(?:n|s|e|w|ne|nw|se|sw)\b)?"
    r"(?:,?\s+(?:apt|apartment|suite|ste|unit|#)\.?\s*#?[\w-]+)?)"
)

NAME_WORD = r"[A-Z][a-z]+(?:['-]?[A-Z][a-z]+)*|[A-Z](?:['-]?[A-Z][a-z]+)+"
# Words of one name sit on one line: "Priya Rossi\nCard: ..." is a name and a label.
NAME = rf"(?:{NAME_WORD})(?:[ \t]+(?:[A-Z]\.[ \t]+)?(?:{NAME_WORD})){{0,2}}"
TITLE = r"(?i:mr|mrs|ms|miss|dr)\.?\s+"
NAME_CUES = (
    r"my\s+name\s+is|name\s*(?::|is)|i\s+am|i'm|this\s+is|regards,|sincerely,|signed,?|holder(?:\s+is)?"
    rf"|(?:beneficiary|payee|recipient)(?:\s+is|\s*:)?|{TITLE}"
)
# Money goes to places too ("transfer it to China"): after these, first and last name only.
PAYMENT_CUES = r"(?:send|pay|transfer|wire|zelle|venmo)\b[^\n]{0,20}?\bto"
FULL_NAME = rf"(?:{NAME_WORD})[ \t]+(?:[A-Z]\.[ \t]+)?(?:{NAME_WORD})"
PERSON_PATTERNS = (
    rf"(?i:\b(?:{NAME_CUES}))[\s(\[\"':]*(?:{TITLE})?(?P<value>{NAME})",
    rf"(?i:\badd)[\s(\[\"']+(?P<value>{NAME})[,;.)\"\]]*\s+as\b",
    rf"(?i:\b{PAYMENT_CUES})[\s(\[\"':]*(?P<value>{FULL_NAME})",
    rf"(?P<value>{FULL_NAME})[,;)\"\]]*\s+here\b",
    r"(?i:\bmy\s+name\s+is|\bname\s*:)[\s(\[\"':]*(?P<value>[a-z][a-z'-]+\s+(?:[a-z]\.\s+)?[a-z][a-z'-]+)",
)
# Capitalized words after "this is" or "I'm" that are not names: banks, products, states of mind.
NOT_NAMES = FUNCTION_WORDS | set(
    "bank chase zelle visa mastercard amex discover venmo paypal apple google pay account card checking "
    "savings customer service support team sorry not unable trying calling writing looking having just so "
    "very also here still new interested going".split()
)


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


def luhn_ok(digits: str) -> bool:
    """The Luhn check: double every second digit from the right, the sum ends in 0."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        doubled = int(char) * (2 if i % 2 else 1)
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def card_ok(number: str) -> bool:
    """A real brand's prefix and length, and the Luhn check."""
    digits = re.sub(r"\D", "", number)
    brand = any(digits.startswith(prefixes) and len(digits) in lengths for prefixes, lengths in CARD_BRANDS)
    return brand and luhn_ok(digits)


def ssn_ok(number: str) -> bool:
    """Issued SSNs: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    digits = re.sub(r"\D", "", number)
    return digits[:3] not in {"000", "666"} and digits[0] != "9" and digits[3:5] != "00" and digits[5:] != "0000"


# What a keyword type's number must also pass.
NUMBER_CHECKS: dict[str, Callable[[str], bool]] = {
    "US_SSN": ssn_ok,
    "ABA_ROUTING": lambda value: aba_checksum_ok(re.sub(r"\D", "", value)),
    "BANK_ACCOUNT": lambda value: not re.fullmatch(DATE, value),  # "account due 11-18-2019" is a date
    "PHONE_NUMBER": lambda value: len(re.sub(r"\D", "", value).removeprefix("1")) == 10,
}


def address_ok(match: re.Match[str]) -> bool:
    """A capitalized street name, or a lower-case line with a common suffix and no unit word for a name."""
    suffix = match["suffix"].lower().removesuffix("s")
    common_suffix = suffix not in RARE_SUFFIXES
    if all(word[0].isupper() or word[0].isdigit() for word in match["name"].split()):
        return common_suffix or match["suffix"][0].isupper()
    return match["value"].islower() and common_suffix and not NOT_STREET_NAMES & set(match["name"].split())


def person_ok(match: re.Match[str]) -> bool:
    """No word of the name is a bank, a product or a common word."""
    return not any(word.strip(".").lower() in NOT_NAMES for word in match["value"].split())


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
        self._analyzer = _build_analyzer(ner_model)
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
        return MaskedText(masked.text, {placeholder: kind for (kind, _), placeholder in names.items()})

    def own_values(self, text: str, memory: PlaceholderMemory) -> dict[str, str]:
        """The placeholder each PII value of `text` gets from `memory`, mapped to the value as written there.

        Only the front end holds this (for the user's own view); it is never stored.
        """
        names = self._placeholder_names(text, hits := self._hits(text), memory)
        return {
            names[(h.entity_type, canonical(text[h.start : h.end], h.entity_type))]: text[h.start : h.end] for h in hits
        }

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


# Only the NER component (and the tok2vec it listens to) is needed: the rest costs time on every turn.
NOT_NER = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]


def _build_analyzer(ner_model: str | None) -> Any:
    """An AnalyzerEngine over an offline spaCy pipeline: a blank one unless an installed NER model is named."""
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
