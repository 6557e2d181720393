"""Incremental ingestion: re-embed only documents whose content hash changed; drop deleted ones."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from retrieval.chunking import chunk_document
from retrieval.documents import Corpus, Document, read_corpus_files
from retrieval.embeddings import Embedder
from retrieval.stores.base import VectorStore
from retrieval.vector_cache import vectors_and_origin
from tools.errors import InvalidInputError

log = logging.getLogger(__name__)
UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9_-]")  # a front-matter id is any text


@dataclass
class IngestReport:
    """Which documents a sync added, re-embedded, removed or left alone."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks_embedded: int = 0
    chunks_cached: int = 0  # read from the model cache instead of embedded

    @property
    def changed(self) -> bool:
        """True when the sync wrote anything."""
        return bool(self.added or self.updated or self.removed)


def read_corpus(corpus_dir: Path) -> Corpus:
    """The corpus's files; no valid document at all is an error, raised before any store is touched."""
    corpus = read_corpus_files(corpus_dir)
    if not corpus.documents:
        raise InvalidInputError(f"No valid policy documents in {corpus_dir}; the index was left as it was.")
    return corpus


def sync_corpus(
    corpus_dir: Path, store: VectorStore, embedder: Embedder, progress: bool = False, cache_dir: Path | None = None
) -> IngestReport:
    """Bring the store in line with the corpus directory."""
    return sync_documents(read_corpus(corpus_dir), store, embedder, progress, cache_dir)


def sync_documents(
    corpus: Corpus, store: VectorStore, embedder: Embedder, progress: bool = False, cache_dir: Path | None = None
) -> IngestReport:
    """Remove deleted documents, then re-embed changed ones one by one: an interrupted run is resumed.

    A document whose file is still there but no longer parses keeps its indexed version (id = file stem).
    The stored hash covers the embedder too (`index_hash`): after a switch of embedder every document is stale.
    With a `cache_dir`, a document's passage vectors are kept there (`passages/`), keyed by the embedder's
    weights and the passages: a new data folder, replica or store indexes the same corpus without embedding
    it again (a minute or more on 2 cores).
    """
    fingerprint = str(getattr(embedder, "fingerprint", ""))
    documents = [replace(d, content_hash=index_hash(d, fingerprint)) for d in corpus.documents]
    indexed = store.indexed_documents()
    report = IngestReport(removed=sorted(set(indexed) - {d.id for d in documents} - set(corpus.skipped)))
    if report.removed:
        store.delete_documents(report.removed)
    stale = [d for d in documents if indexed.get(d.id) != d.content_hash]
    report.unchanged = len(documents) - len(stale)
    passages_dir = cache_dir / "passages" if cache_dir else None
    for doc in tqdm(stale, desc="Embedding documents", unit="doc", disable=not progress or not stale):
        chunks, was_cached = index_document(doc, store, embedder, passages_dir)
        (report.updated if doc.id in indexed else report.added).append(doc.id)
        if was_cached:
            report.chunks_cached += chunks
        else:
            report.chunks_embedded += chunks
    return report


def index_document(
    doc: Document, store: VectorStore, embedder: Embedder, passages_dir: Path | None
) -> tuple[int, bool]:
    """Replace the document in the store; its chunk count, and whether their vectors came from the cache."""
    chunks = chunk_document(doc)
    texts, name = [c.text for c in chunks], passages_cache_name(doc.id)
    vectors, was_cached = vectors_and_origin(embedder, texts, passages_dir, name)
    store.replace_document(doc.id, chunks, vectors)
    return len(chunks), was_cached


def passages_cache_name(doc_id: str) -> str:
    """The name of the document's cached vectors: its id made safe ("../x" stays in the cache), and a hash.

    The hash is the id's, so two ids that differ only in the characters made safe do not share a file.
    """
    return f"{UNSAFE_IN_NAME.sub('_', doc_id)[:64]}-{hashlib.sha256(doc_id.encode()).hexdigest()[:8]}"


def index_hash(document: Document, embedder_fingerprint: str) -> str:
    """The hash a document is indexed under: its content's and, when it has one, the embedder's fingerprint."""
    if not embedder_fingerprint:  # an embedder that names no weights (the tests' fakes)
        return document.content_hash
    return hashlib.sha256(f"{document.content_hash}|{embedder_fingerprint}".encode()).hexdigest()
