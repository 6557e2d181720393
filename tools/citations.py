"""Citation marks for a written answer's sentences that carry none: the source whose sentence backs it.

Asked for citations, SmolLM2-135M mostly writes none ("An ACH transfer is 1 to 3 business days."): the
customer cannot see which policy says so, and the RAG suite counts no source as read. A sentence is cited
only where one sentence of a source states it (`backs`: its figures, and most of its words); a sentence no
single source sentence states is left as it is, not cited by guess.
"""

from __future__ import annotations

from tools.draft_checks import backs
from tools.text import CITATION, cited_sentences


def cite_uncited(answer: str, sources: list[list[str]]) -> str:
    """The answer, each uncited sentence cited as [n]: the first of `sources` (each its sentences) that backs it."""
    return " ".join(with_citation(sentence, sources) for sentence in cited_sentences(answer))


def with_citation(sentence: str, sources: list[list[str]]) -> str:
    """The sentence, with the number of the first source that backs it after it, if it has no mark yet."""
    if CITATION.search(sentence):
        return sentence
    for number, units in enumerate(sources, start=1):
        if any(backs(unit, sentence) for unit in units):
            return f"{sentence} [{number}]"
    return sentence
