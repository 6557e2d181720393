"""Query-side retrieval: embed the question, search the store, group passages by document."""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.embeddings import Embedder
from retrieval.stores.base import VectorStore


@dataclass(frozen=True)
class RetrievedDocument:
    """One document's best cosine score over its passages, and the passages in the order they ranked."""

    id: str
    title: str
    score: float
    passages: tuple[str, ...]


class Retriever:
    """Embeds questions and searches a vector store."""

    def __init__(self, store: VectorStore, embedder: Embedder, alpha: float = 0.5) -> None:
        """Bind a store, the embedder its vectors came from, and the hybrid weight (1 = vector only)."""
        self.store = store
        self.embedder = embedder
        self.alpha = alpha

    def retrieve(self, question: str, k: int) -> list[RetrievedDocument]:
        """Return the documents behind the top-k passages, best document first."""
        hits = self.store.search(question, self.embedder.embed([question])[0], k, self.alpha)
        grouped: dict[str, RetrievedDocument] = {}
        for hit in hits:
            doc = grouped.get(hit.chunk.doc_id)
            passages = (*doc.passages, hit.chunk.text) if doc else (hit.chunk.text,)
            score = max(doc.score, hit.score) if doc else hit.score
            grouped[hit.chunk.doc_id] = RetrievedDocument(hit.chunk.doc_id, hit.chunk.title, score, passages)
        return list(grouped.values())
