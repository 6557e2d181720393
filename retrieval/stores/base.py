"""The interface every vector store implements, so the RAG node cannot tell them apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from retrieval.chunking import Chunk


@dataclass(frozen=True)
class SearchHit:
    """A chunk, its cosine similarity to the query (the relevance gate) and its hybrid rank score."""

    chunk: Chunk
    score: float
    rank_score: float


class VectorStore(Protocol):
    """Chunks and their vectors, kept per document so ingestion can be incremental."""

    def indexed_documents(self) -> dict[str, str]:
        """Map each completely indexed document id to the content hash it was indexed from."""
        ...

    def replace_document(self, doc_id: str, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Replace all chunks of one document; an interrupted call is repaired by the next sync."""
        ...

    def delete_documents(self, doc_ids: list[str]) -> None:
        """Remove documents and their chunks."""
        ...

    def search(self, query: str, query_vector: np.ndarray, k: int, alpha: float) -> list[SearchHit]:
        """Hybrid search: the k best chunks by fused BM25 and vector scores (alpha=1 is vector only)."""
        ...

    def count(self) -> int:
        """Number of chunks indexed."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True)
class WeaviateOptions:
    """Where Weaviate is: a URL (and API key), or embedded Weaviate when url is None."""

    url: str | None
    api_key: str | None
    grpc_port: int
    collection: str
    grpc_host: str | None = None
