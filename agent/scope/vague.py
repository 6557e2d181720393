"""A message that says the customer has something to ask or report, but not what: "i got a letter".

The heads place such a message anywhere: "I have a question" is 0.07 in scope and refused, "I received a
letter" 0.56 banking (the selector then names an unrelated closest section) and "I got a notice" banking, where
the travel-notice sentence answered it. A person would ask what it is about, so the guard asks to clarify.
"""

from __future__ import annotations

from functools import lru_cache

from tools.text import content_words

# What announces a question or something received, without its subject.
ANNOUNCING = "question query help problem issue trouble concern letter mail email text message notice notification"
# Not "call", "ask" or "wrong": "what will you call me", "where are you from if i may ask" and "you are wrong" are
# CLINC150's chit-chat, which the guard refuses as it should.
# Words that may come with it and add no subject ("i got a weird letter", "a problem with my account").
FILLERS = (
    "something thing stuff received need want quick one weird strange odd wonder some small little what whats s account"
)


def says_nothing_yet(text: str) -> bool:
    """The message announces something (a question, a letter, a problem) and names no subject at all."""
    words = content_words(text)
    announcing, fillers = _vocabulary()
    return bool(words & announcing) and words <= announcing | fillers


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    """The two word lists, stemmed as `content_words` stems the message."""
    return content_words(ANNOUNCING), content_words(FILLERS)
