"""Questions customers would ask that one policy sentence answers: how the selector knows a unit's meaning.

The selector scored a unit by how close it is to the question in the embedder's space, but a customer's
question ("my card got eaten by the atm") and the sentence that answers it ("If an ATM keeps your card,
...") are worded far apart; two questions are not. `retrieval/unit_questions.jsonl` holds, for the corpus's
answering units, customer-worded questions each unit answers by itself (written by helper agents from the
units alone, never from the evaluation sets). A unit's `asked_like` is the closest of its questions to the
customer's; a unit given none (an introduction, a pointer) scores 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.answer_units import AnswerUnit
from retrieval.embeddings import Embedder
from retrieval.vector_cache import embedded_once
from tools.errors import ModelFilesError

DEFAULT_UNIT_QUESTIONS = Path(__file__).parent / "unit_questions.jsonl"


@dataclass(frozen=True)
class UnitQuestions:
    """Each unit's questions as rows of one matrix, found by the unit's document and text."""

    vectors: np.ndarray  # (n, d), unit length, float16
    rows: dict[tuple[str, str], np.ndarray]  # (doc id, unit text) -> its questions' row numbers

    @classmethod
    def load(
        cls, embedder: Embedder, path: Path = DEFAULT_UNIT_QUESTIONS, cache_dir: Path | None = None
    ) -> UnitQuestions:
        """Embed every question (cached as `unit-questions-*.npy`); a missing or malformed file is a ModelFilesError."""
        units = read_unit_questions(path)
        texts = [question for _, questions in units for question in questions]
        rows, start = {}, 0
        for key, questions in units:
            rows[key] = np.arange(start, start + len(questions))
            start += len(questions)
        # Half precision halves the 11 MB the vectors take in every process; cosines move by about 1e-3.
        return cls(embedded_once(embedder, texts, cache_dir, "unit-questions").astype(np.float16), rows)

    def asked_like(self, question_vector: np.ndarray, unit: AnswerUnit) -> float:
        """The cosine of the customer's question to the closest question this unit answers (0 with none)."""
        rows = self.rows.get((unit.doc_id, unit.text))
        if rows is None or not len(rows):
            return 0.0
        return float(np.max(self.vectors[rows].astype(np.float32) @ question_vector))


def read_unit_questions(path: Path) -> list[tuple[tuple[str, str], list[str]]]:
    """((doc id, unit text), its questions) for each line of the file."""
    try:
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [((str(row["doc_id"]), str(row["text"])), [str(q) for q in row["questions"]]) for row in lines]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelFilesError(f"Cannot read the unit questions {path}: {exc}") from exc
