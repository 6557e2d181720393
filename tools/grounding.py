"""Which numbers in a text are not backed by a trusted text: the runtime check against made-up figures."""

from __future__ import annotations

import re

from tools.pii_memory import NUMBERED
from tools.text import CITATION, cited_sentences, content_words

# Amounts ($1,234.50), percentages, plain and dotted numbers; dates split into their parts.
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def numbers_in(text: str) -> set[str]:
    """Numbers in `text`, normalised: no thousands separators, no leading zeros, no trailing .0.

    A PII placeholder's number (`<CARD_1>`) is not a figure: it stands for the customer's own value.
    """
    found = set()
    for raw in NUMBER.findall(NUMBERED.sub(" ", text)):
        value = raw.replace(",", "").rstrip(".")
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        found.add(value.lstrip("0") or "0")
    return found


def ungrounded_numbers(answer: str, trusted: str) -> set[str]:
    """Numbers the answer states that appear nowhere in the trusted text."""
    return numbers_in(answer) - numbers_in(trusted)


def grounding_problem(answer: str, trusted: str) -> str | None:
    """Why an answer is not grounded in `trusted` (empty, invents numbers, uses none), or None if it is."""
    if not answer.strip():
        return "the answer is empty"
    invented = ungrounded_numbers(answer, trusted)
    if invented:
        return f"numbers not in the trusted text: {', '.join(sorted(invented))}"
    if numbers_in(trusted) and not numbers_in(answer):
        return "the answer states none of the trusted figures"
    return None


def drop_ungrounded_sentences(answer: str, trusted: str) -> tuple[str, int]:
    """The answer without its sentences that state a number the trusted text lacks; and how many went."""
    sentences = cited_sentences(answer)
    kept = [s for s in sentences if not ungrounded_numbers(CITATION.sub(" ", s), trusted)]
    return " ".join(kept), len(sentences) - len(kept)


# Words too general to say what a figure is about: a "$1.00 fee" elsewhere does not vouch for a notary fee.
GENERIC_WORDS = content_words(
    "fee fees charge charged cost costs free day days business month monthly year years week weeks hour hours "
    "minute minutes time times per each dollar dollars amount amounts up within after before least most one two"
)


def unsupported_numbers(sentence: str, trusted_units: list[str]) -> set[str]:
    """The sentence's numbers that no trusted sentence states about the same thing.

    A number is supported when one trusted sentence (or list item) has it and shares a specific word
    with the answer's sentence: a figure taken from a passage about something else does not count.
    """
    topic = {word for word in content_words(CITATION.sub(" ", sentence)) - GENERIC_WORDS if not word.isdigit()}
    missing = set()
    for number in numbers_in(CITATION.sub(" ", sentence)):
        if not any(number in numbers_in(unit) and topic & content_words(unit) for unit in trusted_units):
            missing.add(number)
    return missing


def drop_unsupported_sentences(answer: str, trusted_units: list[str]) -> tuple[str, int]:
    """The answer without its sentences that state a number no trusted sentence states about the same thing."""
    sentences = cited_sentences(answer)
    kept = [s for s in sentences if not unsupported_numbers(s, trusted_units)]
    return " ".join(kept), len(sentences) - len(kept)
