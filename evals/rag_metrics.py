"""Our RAGAS 0.4 metrics (collections style) and the bridge from the local embedder to RAGAS."""

from __future__ import annotations

import asyncio
from typing import Any

from ragas.embeddings.base import BaseRagasEmbedding
from ragas.metrics.collections.base import BaseMetric
from ragas.metrics.result import MetricResult

from retrieval.embeddings import Embedder
from tools.grounding import numbers_in, ungrounded_numbers
from tools.text import CITATION


class NumericGrounding(BaseMetric):
    """Share of the numbers and amounts in the answer that appear in the retrieved contexts.

    None when the answer states no number: such answers neither pass nor fail this metric.
    """

    def __init__(self, name: str = "numeric_grounding", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)

    async def ascore(self, response: str, retrieved_contexts: list[str]) -> MetricResult:  # type: ignore[override]
        claims = CITATION.sub(" ", response)
        stated = numbers_in(claims)
        if not stated:
            return MetricResult(value=None, reason="the answer states no number")
        missing = ungrounded_numbers(claims, "\n".join(retrieved_contexts))
        grounded = len(stated) - len(missing)
        reason = f"{grounded}/{len(stated)} numbers in the contexts" + (
            f"; not found: {', '.join(sorted(missing))}" if missing else ""
        )
        return MetricResult(value=grounded / len(stated), reason=reason)


class DocumentContextRecall(BaseMetric):
    """Share of the reference documents among the documents the answer was given (by id, no judge)."""

    def __init__(self, name: str = "context_recall", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)

    async def ascore(  # type: ignore[override]
        self, retrieved_context_ids: list[str], reference_context_ids: list[str]
    ) -> MetricResult:
        wanted = set(reference_context_ids)
        if not wanted:
            return MetricResult(value=None, reason="no reference documents")
        found = wanted & set(retrieved_context_ids)
        return MetricResult(value=len(found) / len(wanted), reason=f"{len(found)}/{len(wanted)} reference documents")


class LocalEmbeddings(BaseRagasEmbedding):
    """The project's sentence-transformers embedder (all-MiniLM-L6-v2 from its pip package) for RAGAS."""

    def __init__(self, embedder: Embedder) -> None:
        super().__init__()
        self.embedder = embedder

    def embed_text(self, text: str, **kwargs: Any) -> list[float]:
        return [float(x) for x in self.embedder.embed([text])[0]]

    async def aembed_text(self, text: str, **kwargs: Any) -> list[float]:
        # Encoding is CPU work; off the event loop so judge requests keep flowing meanwhile.
        return await asyncio.to_thread(self.embed_text, text)
