"""The units an extractive answer can quote: the sentences and list items of a retrieved passage."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.text import SENTENCE_END  # the written answers' rule: "U.S. dollars" stays whole

BULLET = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")
MAX_JOINED_LIST = 500  # characters: beyond it a list's items are quoted one by one (full RAG suite, 2026-12-04)
ABBREVIATIONS = ("U.S.", "e.g.", "i.e.", "a.m.", "p.m.", "No.", "St.")
# A sentence that opens by pointing back ("It is mailed to you ...", "This cancels the card permanently.") says
# nothing alone: it is quoted after the sentence it leans on. A page's introduction ("This page ...") leans on none.
LEANS_BACK = re.compile(r"^(?:It|This|These|They|That|Those)\b(?! page\b)")


@dataclass(frozen=True)
class AnswerUnit:
    """One quotable sentence or list item, with the passage heading that gives it context."""

    text: str
    heading: str
    doc_id: str
    title: str
    position: int  # the unit's place in its passage, from 0
    lead: str = ""  # the sentence before it in its paragraph ("" for the first, and for a list item)
    passage: int = 0  # its passage's place among the document's retrieved passages (they come best first)

    @property
    def with_lead(self) -> str:
        """The unit after the sentence it leans on when it opens by pointing back ("It is mailed ..."), else itself."""
        return f"{self.lead} {self.text}" if self.lead and LEANS_BACK.match(self.text) else self.text

    @property
    def context(self) -> str:
        """What the unit is scored on: its heading, then the unit (a bare list item says little alone)."""
        return f"{self.heading}: {self.text}" if self.heading else self.text


def passage_units(passage: str, doc_id: str, title: str, passage_index: int = 0) -> list[AnswerUnit]:
    """The passage's units, in order; its first line (title and heading) is context, not a unit.

    `passage_index` is the passage's place among its document's retrieved passages.
    """
    first_line, _, body = passage.partition("\n")
    heading = first_line.split(" - ", 1)[1] if " - " in first_line else ""
    texts: list[tuple[str, str]] = []  # (unit, the sentence before it in its paragraph)
    for paragraph in body.split("\n\n"):
        lead_in, items = split_list(paragraph)
        sentences = split_sentences(" ".join(lead_in.split())) if lead_in else []
        texts.extend(zip(sentences, ["", *sentences][: len(sentences)], strict=True))
        if items and texts and texts[-1][0].endswith(":"):
            intro, _ = texts.pop()
            texts.extend((unit, "") for unit in with_intro(intro, items))
        else:
            texts.extend((item, "") for item in items)
    return [AnswerUnit(text, heading, doc_id, title, n, lead, passage_index) for n, (text, lead) in enumerate(texts)]


def quoted(units: list[AnswerUnit]) -> list[str]:
    """Each unit as an answer quotes it: after the sentence it leans on, unless that one is quoted too.

    Asked "will you mail me my 1099?", the answer is "It is mailed to you and posted in the app ...": quoted
    alone, "it" is nothing; quoted after "... we send Form 1099-INT by January 31 ...", it answers.
    """
    texts = {unit.text for unit in units}
    return [unit.text if unit.lead in texts else unit.with_lead for unit in units]


def with_intro(intro: str, items: list[str]) -> list[str]:
    """A list and the sentence that introduces it ("Common reasons:"), which means nothing alone.

    A short list is one unit: "To unblock your PIN: in the app; at any ATM" reads together. A long one (a
    fee schedule) would quote every fee for one question, so each item is a unit with the intro before it.
    """
    joined = f"{intro} {'; '.join(_lower_first(item).rstrip('.') for item in items)}."
    if len(joined) <= MAX_JOINED_LIST:
        return [joined]
    return [f"{intro} {_lower_first(item)}" for item in items]


def split_list(paragraph: str) -> tuple[str, list[str]]:
    """(the prose before the paragraph's first bullet, the list's items without their bullets).

    "Common reasons:" on the line above its list is the list's lead-in, as it is a paragraph above it.
    """
    lines = [line.strip() for line in paragraph.strip().splitlines() if line.strip()]
    first = next((n for n, line in enumerate(lines) if BULLET.match(line)), len(lines))
    return " ".join(lines[:first]), [BULLET.sub("", line) for line in lines[first:]]


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
