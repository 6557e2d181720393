"""The units an extractive answer can quote: the sentences and list items of a retrieved passage."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! or ? followed by a space and a capital or a digit ("U.S. dollars" stays whole).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"(])")
BULLET = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")
ABBREVIATIONS = ("U.S.", "e.g.", "i.e.", "a.m.", "p.m.", "No.", "St.")


@dataclass(frozen=True)
class AnswerUnit:
    """One quotable sentence or list item, with the passage heading that gives it context."""

    text: str
    heading: str
    doc_id: str
    title: str
    position: int  # the unit's place in its passage, from 0

    @property
    def context(self) -> str:
        """What the unit is scored on: its heading, then the unit (a bare list item says little alone)."""
        return f"{self.heading}: {self.text}" if self.heading else self.text


def passage_units(passage: str, doc_id: str, title: str) -> list[AnswerUnit]:
    """The passage's units, in order; its first line (title and heading) is context, not a unit."""
    first_line, _, body = passage.partition("\n")
    heading = first_line.split(" - ", 1)[1] if " - " in first_line else ""
    texts: list[str] = []
    for paragraph in body.split("\n\n"):
        items = list_items(paragraph)
        if items and texts and texts[-1].endswith(":"):
            # "To unblock your PIN:" and its list are one answer: the steps read together.
            texts[-1] = f"{texts[-1]} {'; '.join(_lower_first(item).rstrip('.') for item in items)}."
        elif items:
            texts.extend(items)
        else:
            texts.extend(split_sentences(" ".join(paragraph.split())))
    return [AnswerUnit(text, heading, doc_id, title, n) for n, text in enumerate(texts)]


def list_items(paragraph: str) -> list[str]:
    """A list paragraph's items (without their bullets); prose has none."""
    lines = [line.strip() for line in paragraph.strip().splitlines() if line.strip()]
    if not any(BULLET.match(line) for line in lines):
        return []
    return [BULLET.sub("", line) for line in lines]


def _lower_first(text: str) -> str:
    """'In the app' -> 'in the app', for an item that continues its list's sentence."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def split_sentences(text: str) -> list[str]:
    """Sentences of prose, keeping common abbreviations whole."""
    guarded = text
    for n, abbreviation in enumerate(ABBREVIATIONS):
        guarded = guarded.replace(abbreviation, f"\x00{n}\x00")
    pieces = [piece.strip() for piece in SENTENCE_END.split(guarded) if piece.strip()]
    for n, abbreviation in enumerate(ABBREVIATIONS):
        pieces = [piece.replace(f"\x00{n}\x00", abbreviation) for piece in pieces]
    return pieces
