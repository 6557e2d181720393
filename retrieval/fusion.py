"""Relative score fusion, the way Weaviate fuses hybrid results, so both stores rank alike."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def relative_score_fusion(
    vector_scores: Mapping[K, float], keyword_scores: Mapping[K, float], alpha: float
) -> dict[K, float]:
    """Min-max scale each result set to [0, 1], then alpha * vector + (1 - alpha) * keyword.

    A key missing from one set contributes 0 from it, as in Weaviate's `relativeScoreFusion`.
    """
    vector, keyword = _scaled(vector_scores), _scaled(keyword_scores)
    return {key: alpha * vector.get(key, 0.0) + (1 - alpha) * keyword.get(key, 0.0) for key in {*vector, *keyword}}


def _scaled(scores: Mapping[K, float]) -> dict[K, float]:
    """Scale to [0, 1]; a set whose scores are all equal scales to 1 (Weaviate does the same)."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    span = high - low
    return {key: (value - low) / span if span > 0 else 1.0 for key, value in scores.items()}
