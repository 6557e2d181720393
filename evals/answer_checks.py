"""What the customer reads: does the answer state the expected fact, or abstain without inventing one?"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tools.grounding import numbers_in
from tools.text import CITATION

if TYPE_CHECKING:
    from evals.rag_samples import RagSample

CUT = "ungrounded_number"  # agent/nodes/answer_banking.py's output check for a dropped sentence
ABSTAINED = "abstained"  # and for an answer that answers nothing (it may name the closest section)
QUOTED_FALLBACK = re.compile(r'^From ".+" \[1\]: ')  # prompts.QUOTED_ANSWER: the model said nothing usable

CONTACT_CHANNEL = re.compile(r"1-800-555-0199|secure message", re.IGNORECASE)
CONTACT_FIGURES = re.compile(r"1-800-555-0199|24/7")  # the contact line's own figures are not an answer's
# Typographic variants that the corpus and an answer may spell differently.
VARIANTS = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def normalized(text: str) -> str:
    """Lower case, one space between words, no citation markers or typographic variants."""
    return " ".join(CITATION.sub(" ", text).translate(VARIANTS).lower().split())


def states_expected(answer: str, expect: tuple[str, ...]) -> bool:
    """Every expected fact is in the answer (any one of an item's `a | b` alternatives)."""
    shown = normalized(answer)
    return bool(expect) and all(any(normalized(option) in shown for option in item.split(" | ")) for item in expect)


def abstained(answer: str) -> bool:
    """The answer states no figure (the contact line's own aside) and points to the contact channel."""
    return not numbers_in(CONTACT_FIGURES.sub(" ", answer)) and bool(CONTACT_CHANNEL.search(answer))


def answer_metrics(samples: list[RagSample]) -> dict[str, float | None]:
    """Fact accuracy (all answerable, customer wording, its test split), abstention, cuts and fallbacks."""
    answerable = [s for s in samples if s.question.answerable]
    customer = [s for s in answerable if s.question.kind.startswith("customer")]
    unanswerable = [s for s in samples if not s.question.answerable]
    banking = [s for s in answerable if s.route == "banking"]
    pointed = [s for s in answerable if ABSTAINED in s.checks and s.context_ids]
    return {
        "rag_fact_accuracy": share([states_fact(s) for s in answerable]),
        "rag_fact_accuracy_customer": share([states_fact(s) for s in customer]),
        "rag_fact_accuracy_test": share([states_fact(s) for s in customer if s.question.split == "test"]),
        "rag_closest_section_on_page": share(
            [bool(set(s.context_ids) & set(s.question.reference_doc_ids)) for s in pointed]
        ),
        "rag_abstention": share([abstained(s.answer) for s in unanswerable]),
        "rag_abstention_test": share([abstained(s.answer) for s in unanswerable if s.question.split == "test"]),
        "rag_grounding_cut_share": share([CUT in s.checks for s in banking]),
        "rag_quoted_fallback_share": share([bool(QUOTED_FALLBACK.match(s.answer)) for s in banking]),
    }


def states_fact(sample: RagSample) -> bool:
    """The answer states the expected facts; an abstention never does.

    Not even where the closest section's heading that it names holds the expected words ("Auto top-up"): the
    customer was pointed to the fact, not told it.
    """
    return ABSTAINED not in sample.checks and states_expected(sample.answer, sample.question.expect)


def answered_right(sample: RagSample) -> bool:
    """An answerable question's answer states the expected facts; an unanswerable one's abstains."""
    if sample.question.answerable:
        return states_fact(sample)
    return abstained(sample.answer)


def share(flags: list[bool]) -> float | None:
    """The share of true flags, rounded; None for no flags."""
    return round(sum(flags) / len(flags), 4) if flags else None
