"""Small text helpers shared by nodes."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def first_sentences(text: str, count: int) -> str:
    """The first `count` complete sentences; an unfinished trailing fragment is dropped when possible."""
    sentences = SENTENCE_END.split(text.strip())
    complete = [s for s in sentences if s.endswith((".", "!", "?"))]
    kept = (complete or sentences)[:count]
    return " ".join(kept).strip()


def cut_at_stop(text: str, stop: list[str]) -> str:
    """Truncate `text` at the first stop string, as OpenAI-compatible servers do."""
    for marker in stop:
        text = text.split(marker, 1)[0]
    return text
