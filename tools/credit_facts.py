"""Read the extractor's `Good:- ... / Bad:- ...` output and check each fact against the deterministic diff.

A fact is supported when some diff fact has the same polarity, the same numbers in the same order,
the same names (creditors, agencies), the same key words (rose/fell, limit/balance, ...) and mostly
the same other words: a rephrased fact passes; a changed or swapped figure, another creditor, a
reversed direction or a flipped polarity does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.credit_diff import Fact
from tools.grounding import numbers_in

FACT_LINE = re.compile(r"^(Good|Bad):-\s+(\S.*)$")
WORD = re.compile(r"[a-z]+")
NAME_WORD = re.compile(r"\b[A-Z]{2,}\b")  # creditors and agencies are upper case in reports
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
# Words that say which change it is and which way it went; a fact must keep all of the truth's.
KEY_WORDS = frozenset(
    "rose fell cut held steady paid removed closed charged opened new late inquiry collection limit balance "
    "utilization score oldest lien judgment bankruptcy".split()
)
MIN_WORD_OVERLAP = 0.6  # share of words two statements of one change have in common (Dice)


@dataclass(frozen=True)
class Extraction:
    """The extractor's output split into well-formed facts and lines that are not facts."""

    facts: list[Fact]
    malformed: list[str]

    @property
    def format_valid(self) -> bool:
        """Every non-empty line is a fact line (an empty output is valid only if nothing changed)."""
        return not self.malformed


@dataclass(frozen=True)
class Verification:
    """Extracted facts the diff supports, and those it does not (dropped before the answer is written)."""

    supported: list[Fact]
    unsupported: list[Fact]


def parse_facts(text: str) -> Extraction:
    """Split model output into facts and malformed lines; blank lines are ignored."""
    facts, malformed = [], []
    for raw in text.strip().splitlines():
        line = raw.strip()
        if not line:
            continue
        match = FACT_LINE.match(line)
        if match:
            facts.append(Fact(match.group(1), match.group(2).strip()))  # type: ignore[arg-type]
        else:
            malformed.append(line)
    return Extraction(facts, malformed)


def verify_facts(extracted: list[Fact], truth: list[Fact]) -> Verification:
    """Match each extracted fact to a distinct diff fact; unmatched ones and repeats are unsupported."""
    unused = list(truth)
    supported, unsupported = [], []
    for fact in extracted:
        match = best_match(fact, unused)
        if match is None:
            unsupported.append(fact)
        else:
            unused.remove(match)
            supported.append(fact)
    return Verification(supported, unsupported)


def best_match(fact: Fact, candidates: list[Fact]) -> Fact | None:
    """The candidate stating the same change (same polarity and numbers, most shared words), or None."""
    scored = [(word_overlap(fact.text, c.text), c) for c in candidates if same_change(fact, c)]
    best = max(scored, key=lambda pair: pair[0], default=None)
    return best[1] if best and best[0] >= MIN_WORD_OVERLAP else None


def same_change(a: Fact, b: Fact) -> bool:
    """Same polarity, figures in the same order, the same names and the same key words."""
    return (
        a.polarity == b.polarity
        and ordered_numbers(a.text) == ordered_numbers(b.text)
        and set(NAME_WORD.findall(a.text)) == set(NAME_WORD.findall(b.text))
        and _key_words(a.text) == _key_words(b.text)
    )


def ordered_numbers(text: str) -> list[str]:
    """The figures in order of appearance, normalised like `numbers_in` (no separators, no trailing .0)."""
    return [min(numbers_in(raw)) for raw in NUMBER.findall(text)]


def _key_words(text: str) -> set[str]:
    """Which of the KEY_WORDS the text uses."""
    return set(WORD.findall(text.lower())) & KEY_WORDS


def word_overlap(a: str, b: str) -> float:
    """Dice overlap of the two texts' word sets, 0..1."""
    left, right = set(WORD.findall(a.lower())), set(WORD.findall(b.lower()))
    return 2 * len(left & right) / (len(left) + len(right)) if left or right else 1.0


@dataclass(frozen=True)
class FactScore:
    """Fact-level counts for one or many extractions."""

    true_positives: int
    predicted: int
    expected: int

    def __add__(self, other: FactScore) -> FactScore:
        return FactScore(
            self.true_positives + other.true_positives,
            self.predicted + other.predicted,
            self.expected + other.expected,
        )

    @property
    def precision(self) -> float:
        """Share of extracted facts that are true (1.0 when nothing was extracted)."""
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Share of true facts that were extracted (1.0 when there were none)."""
        return self.true_positives / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def score_facts(extracted: list[Fact], truth: list[Fact]) -> FactScore:
    """Count matched, extracted and expected facts."""
    verification = verify_facts(extracted, truth)
    return FactScore(len(verification.supported), len(extracted), len(truth))
