"""A credit question that takes the score's move for granted ("why did my score drop?") when it moved otherwise.

The advisor phrases what the report shows; asked why the score dropped when it rose, it explained the facts
that pulled against it, and the customer was left believing it had dropped. The reply first says how it moved.
"""

from __future__ import annotations

import re

from agent import prompts
from tools.credit import CreditReport

SAYS_DOWN = re.compile(
    r"\b(drop(ped|s|ping)?|fell|fall(en|s|ing)?|(went|go|gone|going) down|decreas\w*|lower(ed)?|tank(ed|s|ing)?"
    r"|dip(ped|s)?|plummet\w*|sank|tumbl\w*|or down)\b",  # "up or down" says both
    re.IGNORECASE,
)
SAYS_UP = re.compile(
    r"\b(rose|risen|rising|(went|go|gone|going) up|increas\w*|jump(ed|s)?|climb(ed|s|ing)?|higher|or up)\b",
    re.IGNORECASE,
)
# The move may be another figure's ("why did my utilization go up?"); only the score's is checked.
OTHER_FIGURE = re.compile(
    r"\b(utili[sz]ation|balances?|limits?|debts?|inquir(y|ies)|payments?|interest|rates?|apr|fees?)\b", re.IGNORECASE
)
SCORE = re.compile(r"\bscores?\b", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def premise_correction(question: str, reports: list[CreditReport]) -> str:
    """How the score really moved, when the question (about the score) says it moved the other way; else ""."""
    if len(reports) < 2 or (OTHER_FIGURE.search(question) and not SCORE.search(question)):
        return ""
    new, old = reports[0], reports[1]
    delta = new.score - old.score
    says_down, says_up = bool(SAYS_DOWN.search(question)), bool(SAYS_UP.search(question))
    if says_down == says_up:  # neither, or both ("did it go up or down?"): nothing taken for granted
        return ""
    if (says_down and delta < 0) or (says_up and delta > 0):
        return ""
    claimed = "drop" if says_down else "go up"
    return prompts.SCORE_MOVED_OTHERWISE.format(model=new.score_model, claimed=claimed, moved=score_move(old, new))


def with_correction(correction: str, answer: str, reports: list[CreditReport]) -> str:
    """The correction, then the answer without its sentences that state the move again (both scores)."""
    new, old = reports[0], reports[1]
    kept = [
        sentence
        for sentence in SENTENCE_END.split(answer)
        if not (str(old.score) in sentence and str(new.score) in sentence)
    ]
    return " ".join([correction, *kept])


def score_move(old: CreditReport, new: CreditReport) -> str:
    """The move in the diff's own words: "rose 9 points, from 772 to 781", or "held steady at 781"."""
    delta = new.score - old.score
    if delta == 0:
        return f"held steady at {new.score}"
    points = "point" if abs(delta) == 1 else "points"
    return f"{'rose' if delta > 0 else 'fell'} {abs(delta)} {points}, from {old.score} to {new.score}"
