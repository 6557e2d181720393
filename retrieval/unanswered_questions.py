"""Questions on the policy's topics that no sentence of it answers: what an unanswerable question looks like.

The selector's probability tells a good answer from a poor one, not a question the policy answers from one
it does not: "daily atm limit for a teen account" finds the ATM limit's sentence as surely as "what's the
daily ATM withdrawal limit?". `retrieval/unanswered_questions.jsonl` holds questions a customer might ask on
each document's topic that no sentence of the corpus answers (written by helper agents from the corpus
alone, each checked by searching the whole corpus for its terms, none within a cosine of 0.85 of an
evaluation question). A question much closer to one of them than to any question a unit answers
(`retrieval/unit_questions.jsonl`) is likely unanswered too: its `unanswered_like` margin is high.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.embeddings import Embedder
from retrieval.unit_questions import DEFAULT_UNIT_QUESTIONS, UnitQuestions
from retrieval.vector_cache import embedded_once
from tools.errors import ModelFilesError

DEFAULT_UNANSWERED_QUESTIONS = Path(__file__).parent / "unanswered_questions.jsonl"


@dataclass(frozen=True)
class UnansweredQuestions:
    """The unanswered questions' vectors, and the answered ones' (every unit's questions) to weigh them against."""

    unanswered: np.ndarray  # (n, d), unit length, float16
    answered: np.ndarray  # (m, d), unit length, float16

    @classmethod
    def load(
        cls,
        embedder: Embedder,
        path: Path = DEFAULT_UNANSWERED_QUESTIONS,
        cache_dir: Path | None = None,
        unit_questions: UnitQuestions | None = None,
    ) -> UnansweredQuestions:
        """Embed the questions (cached as `unanswered-questions-*.npy`); a bad file is a ModelFilesError."""
        unanswered = embedded_once(embedder, read_unanswered_questions(path), cache_dir, "unanswered-questions")
        answered = unit_questions or UnitQuestions.load(embedder, DEFAULT_UNIT_QUESTIONS, cache_dir)
        return cls(unanswered.astype(np.float16), answered.vectors)

    def margin(self, question_vector: np.ndarray) -> float:
        """How much closer the question is to the closest unanswered question than to the closest answered one."""
        closest = [float(np.max(m.astype(np.float32) @ question_vector)) for m in (self.unanswered, self.answered)]
        return closest[0] - closest[1]


def read_unanswered_questions(path: Path) -> list[str]:
    """The `question` of each line of the file; none, or a malformed line, is a ModelFilesError."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        questions = [str(json.loads(line)["question"]) for line in lines if line.strip()]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelFilesError(f"Cannot read the unanswered questions {path}: {exc}") from exc
    if not questions:
        raise ModelFilesError(f"The unanswered questions file {path} holds no question")
    return questions
