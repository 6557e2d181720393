"""The scope guard: which route a message takes, from its nearest labelled examples. No LLM call."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.state import ROUTES, Route
from retrieval.embeddings import Embedder

EXAMPLES_PATH = Path(__file__).parent / "data" / "scope_examples.json"


@dataclass(frozen=True)
class ScopeDecision:
    """A route with the guard's confidence in it (0..1)."""

    route: Route
    confidence: float


def load_examples(path: Path = EXAMPLES_PATH) -> dict[Route, list[str]]:
    """Read the labelled examples, one list per route."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {route: list(raw[route]) for route in ROUTES}


class ScopeGuard:
    """k-nearest-neighbour vote over embedded examples, with an out-of-scope similarity floor."""

    def __init__(self, embedder: Embedder, examples: dict[Route, list[str]], neighbors: int, min_similarity: float):
        """Embed every example once."""
        self._embedder = embedder
        self._labels = np.array([route for route in ROUTES for _ in examples[route]])
        self._vectors = embedder.embed([text for route in ROUTES for text in examples[route]])
        self._neighbors = neighbors
        self._min_similarity = min_similarity

    def classify(self, texts: list[str]) -> list[ScopeDecision]:
        """Route each text; one matrix product for the whole batch."""
        if not texts:
            return []
        similarities = self._embedder.embed(texts) @ self._vectors.T
        return [self._decide(row) for row in similarities]

    def _decide(self, similarities: np.ndarray) -> ScopeDecision:
        """Similarity-weighted vote of the nearest examples; too far from all of them is out of scope."""
        nearest = np.argsort(-similarities)[: self._neighbors]
        best = float(similarities[nearest[0]])
        if best < self._min_similarity:
            # Confidence grows with the distance below the floor.
            return ScopeDecision("out_of_scope", round(min(1.0, 0.5 + (self._min_similarity - best)), 3))
        weights = np.exp(similarities[nearest] * 10)  # sharpen: the closest examples dominate the vote
        votes = {route: float(weights[self._labels[nearest] == route].sum()) for route in ROUTES}
        route = max(votes, key=lambda r: votes[r])
        return ScopeDecision(route, round(votes[route] / float(weights.sum()), 3))
