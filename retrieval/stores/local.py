"""The embedded default store: SQLite on disk for durability; vectors and a BM25 index in memory for search."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.chunking import Chunk
from retrieval.fusion import relative_score_fusion
from retrieval.keyword import KeywordIndex
from retrieval.stores.base import SearchHit
from tools.errors import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, title TEXT NOT NULL, heading TEXT NOT NULL,
    text TEXT NOT NULL, doc_hash TEXT NOT NULL, vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id);
"""
# Each side of the hybrid search offers max(4k, 50) candidates before fusion.
MIN_CANDIDATES = 50


@dataclass(frozen=True)
class _Snapshot:
    """Every chunk with its vector row and the BM25 index over them: built whole, then shared read-only."""

    chunks: list[Chunk]
    matrix: np.ndarray
    keywords: KeywordIndex


class LocalVectorStore:
    """In process, persisted on disk, no server; exact cosine search fused with BM25."""

    def __init__(self, path: Path) -> None:
        """Open (creating if needed) the index at `path`."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False)
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"Cannot open the vector index at {path}: {exc}") from exc
        # Concurrent turns search from worker threads: each sees one complete snapshot, never a half-built one.
        self._snapshot: _Snapshot | None = None
        self._snapshot_lock = threading.Lock()

    def indexed_documents(self) -> dict[str, str]:
        """Map each indexed document id to the content hash it was indexed from."""
        return dict(self._db.execute("SELECT DISTINCT doc_id, doc_hash FROM chunks").fetchall())

    def replace_document(self, doc_id: str, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Replace a document's chunks in one transaction: a crash leaves the old or the new version."""
        rows = [
            (c.id, c.doc_id, c.title, c.heading, c.text, c.doc_hash, v.astype(np.float32).tobytes())
            for c, v in zip(chunks, vectors, strict=True)
        ]
        with self._db:
            self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self._db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self._invalidate()

    def delete_documents(self, doc_ids: list[str]) -> None:
        """Remove documents and their chunks in one transaction."""
        with self._db:
            self._db.executemany("DELETE FROM chunks WHERE doc_id = ?", [(d,) for d in doc_ids])
        self._invalidate()

    def search(self, query: str, query_vector: np.ndarray, k: int, alpha: float) -> list[SearchHit]:
        """Exact cosine over every chunk and BM25, each cut to its best candidates, then fused."""
        snapshot = self._load()
        if not snapshot.chunks:
            return []
        cosine = snapshot.matrix @ query_vector.astype(np.float32)
        pool = min(max(4 * k, MIN_CANDIDATES), len(snapshot.chunks))
        dense = np.argpartition(-cosine, pool - 1)[:pool]
        keyword_hits = snapshot.keywords.top(query, pool)
        fused = relative_score_fusion({int(i): float(cosine[i]) for i in dense}, keyword_hits, alpha)
        # Ties (alpha 0 and no shared word, say) break by cosine, then position, so every run ranks alike.
        best = sorted(fused, key=lambda i: (-fused[i], -cosine[i], i))[:k]
        return [SearchHit(snapshot.chunks[i], float(cosine[i]), fused[i]) for i in best]

    def count(self) -> int:
        """Number of chunks indexed."""
        return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def close(self) -> None:
        """Close the SQLite connection."""
        self._db.close()

    def _load(self) -> _Snapshot:
        """Read all chunks into memory once and index their words; writes invalidate the copy."""
        with self._snapshot_lock:
            if self._snapshot is None:
                self._snapshot = self._read_snapshot()
            return self._snapshot

    def _read_snapshot(self) -> _Snapshot:
        """Every chunk and its vector, in id order, with the BM25 index over their texts."""
        rows = self._db.execute("SELECT id, doc_id, title, heading, text, doc_hash, vector FROM chunks ORDER BY id")
        chunks, vectors = [], []
        for *fields, blob in rows:
            chunks.append(Chunk(*fields))
            vectors.append(np.frombuffer(blob, dtype=np.float32))
        matrix = np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
        return _Snapshot(chunks, matrix, KeywordIndex([c.text for c in chunks]))

    def _invalidate(self) -> None:
        """The next search re-reads the chunks."""
        with self._snapshot_lock:
            self._snapshot = None
