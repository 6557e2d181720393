"""Which credit questions need the customer's report, and which the bank's policy answers for anyone.

The credit advisor is trained on questions about one customer's report (what changed, why the score moved,
how to raise it). Asked "How do I place a credit freeze?", it answered with the customer's utilization.
Labelled examples (`agent/data/credit_question_kinds.jsonl`: the scope guard's credit training queries,
labelled by hand, and the advisor's own training questions as report questions) decide by their nearest
neighbours in the retrieval encoder's space.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.embeddings import Embedder
from retrieval.vector_cache import embedded_once
from tools.errors import ModelFilesError

EXAMPLES = Path(__file__).parent / "data" / "credit_question_kinds.jsonl"
# Leave-one-out on the examples: 0.733 right with 1 neighbour, 0.727 with 3, 0.709 with 5; 3 so that one
# mislabelled neighbour cannot decide alone.
NEIGHBOURS = 3


@dataclass(frozen=True)
class CreditQuestionKinds:
    """Labelled credit questions, embedded once, and a nearest-neighbour vote over them."""

    embedder: Embedder
    vectors: np.ndarray  # (n, d), unit length
    general: np.ndarray  # (n,) True where the policy answers the example for anyone

    @classmethod
    def load(cls, embedder: Embedder, path: Path = EXAMPLES, cache_dir: Path | None = None) -> CreditQuestionKinds:
        """Embed the labelled examples; a missing or malformed file is a one-line ModelFilesError.

        Embedding them takes 2 to 4 s on 2 cores, once per process: with a `cache_dir` (and an embedder that
        names its weights) the vectors are kept there, so a `bankassist ask` reads them instead.
        """
        examples = read_examples(path)
        vectors = embedded_once(embedder, [text for text, _ in examples], cache_dir, "credit-kinds")
        return cls(embedder, vectors, np.array([general for _, general in examples]))

    def general_share(self, question: str) -> float:
        """The share of the question's nearest examples that the policy answers for anyone."""
        similarity = self.vectors @ self.embedder.embed([question])[0]
        nearest = np.argsort(-similarity)[:NEIGHBOURS]
        return float(self.general[nearest].mean())

    def is_general(self, question: str) -> bool:
        """Most of the question's nearest examples are general credit questions."""
        return self.general_share(question) > 0.5


def read_examples(path: Path) -> list[tuple[str, bool]]:
    """(question, is general) for each line of the examples file."""
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [(str(row["text"]), row["label"] == "general") for row in rows]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelFilesError(f"Cannot read the credit question examples {path}: {exc}") from exc
