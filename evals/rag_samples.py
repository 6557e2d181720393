"""What the RAG suite and its judge share: the metric names and one scored golden-question turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # an annotation only: the judge's module stays free of the retriever's imports
    from evals.retrieval import GoldenQuestion

LOCAL_METRICS = (
    "context_recall",
    "rouge_l",
    "semantic_similarity",
    "bertscore_f1",
    "quoted_spans",
    "numeric_grounding",
)
JUDGE_METRICS = ("faithfulness", "answer_relevancy", "context_precision")


@dataclass
class RagSample:
    """One golden question's turn: what the graph answered from which contexts, and its scores."""

    question: GoldenQuestion
    route: str
    answer: str
    context_ids: list[str]
    contexts: list[str]
    checks: list[str] = field(default_factory=list)  # the turn's output checks (a cut sentence, an abstention)
    scores: dict[str, float | None] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def answered_from_passages(self) -> bool:
        """Whether the passage metrics (quoted spans, numeric grounding, the judge's) score the answer.

        A refusal or a clarifying question was not answered from the corpus, nor was an abstention: it may name
        the closest section as its source, but it quotes and states nothing from it.
        """
        return bool(self.contexts) and "abstained" not in self.checks

    @property
    def answer_context_ids(self) -> list[str]:
        """The documents the answer was given from: an abstention's named page is a pointer, not one of them."""
        return self.context_ids if "abstained" not in self.checks else []
