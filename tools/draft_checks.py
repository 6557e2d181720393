"""Checks on a model's written draft beyond its numbers: each sentence must say what one trusted line says.

The number check alone let through most of SmolLM2-135M's credit drafts, and most of those were wrong: a
loop ("You should also increase your credit score by 10 points." seven times), a label read as a figure
("The credit score of 3.0 is ..."), numbers of two facts in one claim ("your score changed to 58% from
698 to 588"), a move the wrong way, a lender the facts never name, or the prompt's own markup copied back.
A draft that fails any of these is not shown; the caller falls back to a templated answer.
"""

from __future__ import annotations

import re
from collections import Counter

from tools.grounding import grounding_problem, numbers_in
from tools.text import CITATION, content_words

WORD = re.compile(r"[a-z0-9']+")
# Creditor and bureau names are upper case in the reports ("CITRINE FINANCIAL", "FICO"); three letters or
# more, so "I" and "OK" are not names.
NAME = re.compile(r"\b[A-Z][A-Z&'-]{2,}\b")
# A list item is a claim of its own, like a sentence.
SENTENCE_OR_LINE = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")
# A stop followed by a space or the end: not the point inside "$2,500.00".
SENTENCE_STOP = re.compile(r"[.!?](?=\s|$)")
# Numbers that label rather than state: a masked account ("****9035") and a score model ("VantageScore 3.0").
# "The credit score of 3.0 is ..." states no figure of the report.
LABEL_NUMBER = re.compile(r"\*{2,}\d+|\b(?:FICO|VantageScore)(?:\s+Score)?\s+\d+(?:\.\d+)?", re.I)
# Which way a sentence says something moved; a fact that moved the other way does not back it.
MOVES = {
    "up": re.compile(r"\b(rose|rise|risen|increas\w*|up|higher|improv\w*|gain\w*|grew|grown)\b", re.I),
    "down": re.compile(r"\b(fell|fall|fallen|decreas\w*|drop\w*|down|lower\w*|cut|declin\w*|lost)\b", re.I),
    "steady": re.compile(r"\b(steady|unchanged|same|held)\b", re.I),
}
LOOP_WINDOW_WORDS = 8  # a run of eight words said twice is a loop, not style
LOOP_REPEATS = 2
# The prompt's own markup: a draft that copies it is echoing its input, not answering.
PROMPT_MARKUP = re.compile(r"</?(facts|suggestions|question)>|\b(Good|Bad):-", re.I)
MIN_SHARED_WORDS = 2  # a sentence must say what one trusted line says, in at least two of its words
MAX_FRAMING_WORDS = 2  # "Here is what I found." has one meaningful word; a claim has more
MIN_SENTENCE_WORDS = 4  # "Thank you." twice is not a loop
# Words a draft may add to the question's own and still say nothing: "The answer is no." answers nothing.
EMPTY_WORDS = content_words("yes answer question sure okay ok")


def complete_sentences(draft: str) -> str:
    """The draft without an unfinished tail (a model cut off by its token cap), when a full sentence remains."""
    text = draft.strip()
    ends = [match.end() for match in SENTENCE_STOP.finditer(text)]
    return text[: ends[-1]] if ends else text


def repeats_itself(draft: str) -> bool:
    """Whether the draft says one sentence twice, or one run of eight words twice."""
    sentences = [" ".join(WORD.findall(s.lower())) for s in SENTENCE_OR_LINE.split(draft.strip())]
    counted = Counter(s for s in sentences if len(s.split()) >= MIN_SENTENCE_WORDS)
    if any(count > 1 for count in counted.values()):
        return True
    words = WORD.findall(draft.lower())
    windows = Counter(tuple(words[i : i + LOOP_WINDOW_WORDS]) for i in range(len(words) - LOOP_WINDOW_WORDS + 1))
    return any(count >= LOOP_REPEATS for count in windows.values())


def adds_nothing(draft: str, question: str) -> bool:
    """Whether every meaningful word of the draft is the question's own, or "yes", "no", "answer".

    SmolLM2-135M answers "And is there a faster option?" with "Yes, there is a faster option." and "can I
    avoid it?" with "The answer is no.": neither says which option, or how.
    """
    return not content_words(CITATION.sub(" ", draft)) - content_words(question) - EMPTY_WORDS


def unknown_names(draft: str, trusted: str) -> set[str]:
    """Upper-case names in the draft that the trusted text does not contain."""
    known = set(NAME.findall(trusted))
    return {name for name in NAME.findall(draft) if name not in known}


def figures(text: str) -> set[str]:
    """The numbers the text states as figures, without those that only label an account or a score model."""
    return numbers_in(LABEL_NUMBER.sub(" ", text))


def backs(line: str, sentence: str) -> bool:
    """Whether one trusted line states what the sentence claims.

    The line holds all of the sentence's numbers and names and moves the same way, and the two share
    words: numbers or names from different facts ("your score changed to 58% from 698 to 588", "a new
    card with LARKSPUR BANK" on another lender's date) make a claim no fact makes. A sentence with no
    number must be mostly the line's words.
    """
    if not numbers_in(sentence) <= numbers_in(line) or not set(NAME.findall(sentence)) <= set(NAME.findall(line)):
        return False
    words, line_words = content_words(sentence), content_words(line)
    shared = words & line_words
    if len(shared) < MIN_SHARED_WORDS or (not numbers_in(sentence) and 2 * len(shared) < len(words)):
        return False
    return not opposite_moves(sentence, line)


def opposite_moves(sentence: str, line: str) -> bool:
    """Whether the sentence says something moved one way (up, down, steady) where the line says another."""
    said = {move for move, pattern in MOVES.items() if pattern.search(sentence)}
    stated = {move for move, pattern in MOVES.items() if pattern.search(line)}
    return bool(said and stated and not said & stated)


def claims_something(sentence: str) -> bool:
    """Whether a sentence states something checkable: a number, a name, or more than a framing phrase.

    "Here is what I found." and "Great news!" frame an answer a stronger model writes; they claim nothing.
    """
    has_figure_or_name = bool(numbers_in(sentence) or NAME.search(sentence))
    return has_figure_or_name or len(content_words(sentence)) > MAX_FRAMING_WORDS


def unbacked_sentence(draft: str, trusted: str) -> str | None:
    """The first sentence that claims something no single trusted line states."""
    lines = [line for line in trusted.splitlines() if line.strip()]
    for sentence in SENTENCE_OR_LINE.split(draft.strip()):
        if claims_something(sentence) and not any(backs(line, sentence) for line in lines):
            return sentence
    return None


def draft_problem(draft: str, trusted: str) -> str | None:
    """Why a draft cannot be shown (numbers, no figure, a loop, a name it was not given), or None when it can."""
    if problem := grounding_problem(draft, trusted):
        return problem
    if PROMPT_MARKUP.search(draft):
        return "the draft copies the prompt's markup"
    if (report_figures := figures(trusted)) and not figures(draft) & report_figures:
        return "the draft states none of the trusted figures"
    if repeats_itself(draft):
        return "the draft repeats itself"
    if names := unknown_names(draft, trusted):
        return f"names not in the trusted text: {', '.join(sorted(names))}"
    if sentence := unbacked_sentence(draft, trusted):
        return f"no single fact backs: {sentence[:80]}"
    return None
