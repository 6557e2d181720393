"""Policy documents: Markdown files with YAML front matter (id, title, category, effective_date)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import yaml

log = logging.getLogger(__name__)
REQUIRED_FIELDS = ("id", "title", "category", "effective_date")


class DocumentError(ValueError):
    """A corpus file cannot be parsed; the message names the file and the problem."""


@dataclass(frozen=True)
class Document:
    """One policy document; `content_hash` changes whenever the file's text does."""

    id: str
    title: str
    category: str
    effective_date: str
    body: str
    content_hash: str


def parse_document(path: Path) -> Document:
    """Parse one Markdown file with front matter, or raise DocumentError naming it."""
    text = path.read_text(encoding="utf-8")
    parts = text.split("---", 2)
    if not text.startswith("---") or len(parts) < 3:
        raise DocumentError(f"{path.name}: missing '---' front matter")
    try:
        meta = yaml.safe_load(parts[1]) or {}
    except yaml.YAMLError as exc:
        raise DocumentError(f"{path.name}: front matter is not valid YAML ({exc.__class__.__name__})") from exc
    missing = [name for name in REQUIRED_FIELDS if not isinstance(meta, dict) or not meta.get(name)]
    if missing:
        raise DocumentError(f"{path.name}: front matter lacks {', '.join(missing)}")
    body = parts[2].strip()
    if not body:
        raise DocumentError(f"{path.name}: the document has no body")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(
        str(meta["id"]), str(meta["title"]), str(meta["category"]), str(meta["effective_date"]), body, digest
    )


@dataclass(frozen=True)
class Corpus:
    """The documents that parsed, and the names (stems) of the files that did not."""

    documents: list[Document]
    skipped: list[str]


def read_corpus_files(corpus_dir: Path) -> Corpus:
    """Parse every `*.md` file; malformed ones are skipped with a warning that names them."""
    documents, skipped = [], []
    for path in sorted(corpus_dir.glob("*.md")):
        try:
            documents.append(parse_document(path))
        except (DocumentError, UnicodeDecodeError) as exc:
            log.warning("Skipping %s", exc)
            skipped.append(path.stem)
    return Corpus(documents, skipped)


def load_corpus(corpus_dir: Path) -> list[Document]:
    """The documents of a corpus directory that parse."""
    return read_corpus_files(corpus_dir).documents
