"""Split documents into heading-scoped chunks, with overlap inside long sections."""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.documents import Document

# ~1,000 characters is ~220 tokens: three chunks fit a small model's prompt with room for the answer.
MAX_CHARS = 1000
HEADING = re.compile(r"^#{1,3} +(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Chunk:
    """A passage of one document; its text starts with the document title and section heading."""

    id: str
    doc_id: str
    title: str
    heading: str
    text: str
    doc_hash: str


def chunk_document(doc: Document, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Chunk by headings; a long section is split by paragraphs, repeating one paragraph of overlap."""
    chunks: list[Chunk] = []
    for heading, section in _sections(doc.body):
        for piece in _split_with_overlap(section, max_chars):
            text = f"{doc.title} - {heading}\n{piece}" if heading else f"{doc.title}\n{piece}"
            chunk_id = f"{doc.id}#{len(chunks)}"
            chunks.append(Chunk(chunk_id, doc.id, doc.title, heading, text, doc.content_hash))
    return chunks


def _sections(body: str) -> list[tuple[str, str]]:
    """Return (heading, text) pairs; text before the first heading gets an empty heading."""
    marks = list(HEADING.finditer(body))
    sections = [("", body[: marks[0].start()] if marks else body)]
    for mark, nxt in zip(marks, [*marks[1:], None], strict=True):
        sections.append((mark.group(1).strip(), body[mark.end() : nxt.start() if nxt else len(body)]))
    return [(heading, text.strip()) for heading, text in sections if text.strip()]


def _split_with_overlap(text: str, max_chars: int) -> list[str]:
    """Greedily pack paragraphs up to max_chars; each new piece starts with the previous last paragraph."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    pieces: list[list[str]] = [[]]
    for paragraph in paragraphs:
        current = pieces[-1]
        if current and sum(len(p) for p in current) + len(paragraph) > max_chars:
            pieces.append([current[-1]] if len(current) > 1 else [])
        pieces[-1].append(paragraph)
    return ["\n\n".join(piece) for piece in pieces if piece]
