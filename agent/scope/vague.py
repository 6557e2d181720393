"""A message that says the customer has something to ask or report, but not what: "i got a letter".

The heads place such a message anywhere: "I have a question" is 0.07 in scope and refused, "I received a
letter" 0.56 banking (the selector then names an unrelated closest section) and "I got a notice" banking, where
the travel-notice sentence answered it. A person would ask what it is about, so the guard asks to clarify.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tools.text import content_words

# What announces a question or something received, without its subject. Not "call", "ask" or "wrong": "what will
# you call me", "where are you from if i may ask" and "you are wrong" are CLINC150 chit-chat the guard refuses.
ANNOUNCING = "question query help problem issue trouble concern letter mail email text message notice notification"
# Words that may come with it and add no subject ("i got a weird letter", "a problem with my account"), and what
# is left of a contraction ("I've", "I'm", "there's").
FILLERS = (
    "something thing stuff received having need want quick one weird strange odd wonder some small little whats "
    "account s ve m d ll re"
)
# The subject is the thread's ("I have a question about that"), or the announcing word is not one ("no problem",
# "not helpful", "thanks for your help"): the heads and the thread decide those.
NOT_AN_ANNOUNCEMENT = re.compile(r"\b(?:it|that|this|these|those|them|no|not|thanks?|helpful|helped)\b", re.IGNORECASE)


def says_nothing_yet(text: str) -> bool:
    """The message announces something (a question, a letter, a problem) and names no subject at all."""
    if NOT_AN_ANNOUNCEMENT.search(text):
        return False
    words = content_words(text)
    announcing, fillers = _vocabulary()
    return bool(words & announcing) and words <= announcing | fillers


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    """The two word lists, stemmed as `content_words` stems the message."""
    return content_words(ANNOUNCING), content_words(FILLERS)
