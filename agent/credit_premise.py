"""A credit question that takes the score's move for granted ("why did my score drop?") when it moved otherwise.

The advisor phrases what the report shows; asked why the score dropped when it rose, it explained the facts
that pulled against it, and the customer was left believing it had dropped. The reply first says how it moved.
"""

from __future__ import annotations

import re

from agent import prompts
from tools.credit import CreditReport

# What the question says happened: a past move ("why did it drop?", "why is my score down?"), not one it asks
# about ahead ("will a hard inquiry drop my score?", "how can I increase my score?", "how do I get my score up").
DID = r"\b(?:did|has|have|had|made|caused)\b[^.?!]*\b"
IS_NOW = r"\b(?:(?:is|'s) (?:my |the |your )?(?:credit )?(?:score )?|score(?:'s| is) )(?:now |so )?"
SAYS_DOWN = re.compile(
    r"\b(?:dropped|fell|fallen|(?:went|gone) down|decreased|lowered|tanked|dipped|plummeted|sank|tumbled|or down)\b"
    rf"|{IS_NOW}(?:lower|down)\b|{DID}(?:drop|fall|go down|decrease|tank|dip|plummet|sink|tumble)\b",
    re.IGNORECASE,
)
SAYS_UP = re.compile(
    r"\b(?:rose|risen|(?:went|gone) up|increased|jumped|climbed|improved|or up)\b"
    rf"|{IS_NOW}(?:higher|up)\b|{DID}(?:rise|go up|increase|jump|climb|improve)\b",
    re.IGNORECASE,
)
# The move may be another figure's ("why did my utilization go up?"); only the score's is checked.
OTHER_FIGURE = re.compile(
    r"\b(utili[sz]ation|balances?|limits?|debts?|inquir(y|ies)|payments?|interest|rates?|apr|fees?)\b", re.IGNORECASE
)
SCORE = re.compile(r"\bscores?\b", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WHOLE_NUMBER = re.compile(r"(?<![\d,.$])\d+(?![\d,.]\d)")


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
    kept = [sentence for sentence in SENTENCE_END.split(answer) if not states_move(sentence, old.score, new.score)]
    return " ".join([correction, *kept])


def states_move(sentence: str, old: int, new: int) -> bool:
    """The sentence is about the score and states both of its figures, as whole numbers ("$1,700" is not 700)."""
    figures = {int(f) for f in WHOLE_NUMBER.findall(sentence)}
    return bool(SCORE.search(sentence)) and {old, new} <= figures


def score_move(old: CreditReport, new: CreditReport) -> str:
    """The move in the diff's own words: "rose 9 points, from 772 to 781", or "held steady at 781"."""
    delta = new.score - old.score
    if delta == 0:
        return f"held steady at {new.score}"
    points = "point" if abs(delta) == 1 else "points"
    return f"{'rose' if delta > 0 else 'fell'} {abs(delta)} {points}, from {old.score} to {new.score}"
