"""Citation marks for a written answer's sentences that carry none: the source whose sentence backs it.

Asked for citations, SmolLM2-135M mostly writes none ("An ACH transfer is 1 to 3 business days."): the
customer cannot see which policy says so. A sentence is cited only where one sentence of a source states
what it adds to the question (`backs`, and most of its words that are not the question's); a sentence no
single source sentence states, or one that only restates the question, is left as it is, not cited by guess.
"""

from __future__ import annotations

from tools.draft_checks import backs
from tools.text import CITATION, cited_sentences, content_words


def cite_uncited(answer: str, sources: list[list[str]], question: str) -> str:
    """The answer, each uncited sentence cited as [n]: the first of `sources` (each its sentences) stating it."""
    return " ".join(with_citation(sentence, sources, question) for sentence in cited_sentences(answer))


def with_citation(sentence: str, sources: list[list[str]], question: str) -> str:
    """The sentence, with the number of the first source that states it after it, if it has no mark yet."""
    if CITATION.search(sentence):
        return sentence
    for number, units in enumerate(sources, start=1):
        if any(states(unit, sentence, question) for unit in units):
            return f"{sentence} [{number}]"
    return sentence


def states(unit: str, sentence: str, question: str) -> bool:
    """Whether the unit backs the sentence, in most of the words the sentence adds to the question.

    The passage a question was matched with shares the question's words: "You asked: what is the fee for a
    wire?" is not the fee schedule's statement.
    """
    added = content_words(sentence) - content_words(question)
    return backs(unit, sentence) and 0 < len(added) <= 2 * len(added & content_words(unit))
