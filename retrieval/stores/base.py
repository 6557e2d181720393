"""The interface every vector store implements, so the RAG node cannot tell them apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from retrieval.chunking import Chunk


@dataclass(frozen=True)
class SearchHit:
    """A chunk and its cosine similarity to the query."""

    chunk: Chunk
    score: float


class VectorStore(Protocol):
    """Chunks and their vectors, kept per document so ingestion can be incremental."""

    def indexed_documents(self) -> dict[str, str]:
        """Map each indexed document id to the content hash it was indexed from."""
        ...

    def replace_document(self, doc_id: str, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Atomically replace all chunks of one document."""
        ...

    def delete_documents(self, doc_ids: list[str]) -> None:
        """Remove documents and their chunks."""
        ...

    def search(self, query_vector: np.ndarray, k: int) -> list[SearchHit]:
        """Return the k chunks most similar to a unit query vector, best first."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
