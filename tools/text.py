"""Small text helpers shared by nodes, checks and the answer selector."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# A sentence ends at . ! or ? followed by a space and a capital, a digit, a quote, a bracket or a citation mark:
# "cash at ATMs in the U.S. and abroad." is one sentence, not two (the second then cited on its own).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"(\[])")
# "[2]" cites a source; its number is not a figure the answer states.
CITATION = re.compile(r"\[\d+\]")
# Citation marks written after a sentence's full stop ("... is $25. [1]") belong to that sentence.
LEADING_CITATIONS = re.compile(rf"^(?:{CITATION.pattern}\s*)+")
COMPLETE = re.compile(rf"[.!?](?:\s*{CITATION.pattern})*$")
WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about what a sentence is about (chat shorthand included).
STOPWORDS = frozenset(
    "a an the and or but if of to in on at for from by with about as is are was were be been am do does did "
    "i me my we our you your it its this that these those there here what which who whom how why when where "
    "can could would should will shall may might must have has had not no so than too very just get got "
    "im ive dont cant wont u ur pls please hi hello hey thanks larkspur bank".split()
)


def first_sentences(text: str, count: int) -> str:
    """The first `count` complete sentences; an unfinished trailing fragment is dropped when possible."""
    sentences = cited_sentences(text)
    complete = [s for s in sentences if COMPLETE.search(s)]
    kept = (complete or sentences)[:count]
    return " ".join(kept).strip()


def cited_sentences(text: str) -> list[str]:
    """The text's sentences, each with the citation marks written after its full stop."""
    sentences: list[str] = []
    for piece in SENTENCE_END.split(text.strip()):
        marks = LEADING_CITATIONS.match(piece)
        if marks and sentences:
            sentences[-1] += " " + marks.group().strip()
            piece = piece[marks.end() :]
        if piece:
            sentences.append(piece)
    return sentences


def cut_at_stop(text: str, stop: list[str]) -> str:
    """Truncate `text` at the first stop string, as OpenAI-compatible servers do."""
    for marker in stop:
        text = text.split(marker, 1)[0]
    return text


def content_words(text: str) -> frozenset[str]:
    """The text's stemmed words that carry meaning."""
    return frozenset(_stem(word) for word in WORD.findall(text.lower()) if word not in STOPWORDS)


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    """Snowball's English stem (PyStemmer, as the BM25 index uses)."""
    return _stemmer().stemWord(word)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    """One stemmer per process."""
    import Stemmer

    return Stemmer.Stemmer("english")
