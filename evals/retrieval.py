"""Retrieval quality on the golden set: document recall@5 and MRR, overall and per question kind."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from retrieval.retriever import Retriever
from tools.errors import InvalidInputError

DATA_DIR = Path(__file__).parent / "data"
GOLDEN_PATH = DATA_DIR / "retrieval_golden.jsonl"
# Questions in customers' own wording (a third kept as a test split), and ones the corpus does not answer.
CUSTOMER_PATH = DATA_DIR / "customer_questions.jsonl"
UNANSWERABLE_PATH = DATA_DIR / "unanswerable.jsonl"
# More unanswerable questions for tuning only (the selector's abstention); the RAG suite does not ask them.
UNANSWERABLE_TUNING_PATH = DATA_DIR / "unanswerable_tuning.jsonl"
COVERAGE_PATH = DATA_DIR / "banking77_coverage.json"
RECALL_K = 5
MRR_DEPTH = 10
# Passages fetched per question so that at least MRR_DEPTH distinct documents are ranked.
PASSAGES = 40
BANKING77_PER_INTENT = 5
Question = tuple[str, str, tuple[str, ...]]  # (kind, question, reference doc ids)


@dataclass(frozen=True)
class GoldenQuestion:
    """A question, its reference answer and the documents that answer it."""

    id: str
    question: str
    reference_answer: str
    reference_doc_ids: tuple[str, ...]
    kind: str
    expect: tuple[str, ...] = ()  # the key facts an answer must state (exact corpus spans; "a | b" alternatives)
    split: str = "tune"  # "test": customer-wording questions no tuning looks at

    @property
    def answerable(self) -> bool:
        """The corpus answers it (unanswerable questions have no reference documents)."""
        return bool(self.reference_doc_ids)


@dataclass
class RetrievalResult:
    """Per-question recall@5 and reciprocal rank, and the questions that missed a document."""

    recall: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    reciprocal_rank: list[float] = field(default_factory=list)
    misses: list[tuple[str, list[str], list[str]]] = field(default_factory=list)

    def metrics(self, prefix: str = "") -> dict[str, float | None]:
        """recall_at_5 overall and per kind, and MRR (@10)."""
        every = [value for values in self.recall.values() for value in values]
        found = {f"{prefix}recall_at_5": _mean(every), f"{prefix}mrr": _mean(self.reciprocal_rank)}
        if len(self.recall) > 1:
            found |= {f"{prefix}recall_at_5_{kind}": _mean(values) for kind, values in sorted(self.recall.items())}
        return found


def load_golden(path: Path = GOLDEN_PATH) -> list[GoldenQuestion]:
    """Read the golden set; a malformed line is a one-line error naming it."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            questions.append(golden_question(json.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InvalidInputError(f"{path.name} line {number} is not a golden question ({exc}).") from exc
    return questions


def golden_question(row: dict) -> GoldenQuestion:
    """One JSON line of a golden file; unanswerable lines have no reference answer or documents."""
    return GoldenQuestion(
        row["id"], row["question"], row.get("reference_answer", ""), tuple(row.get("reference_doc_ids", ())),
        row["kind"], tuple(row.get("expect", ())), row.get("split", "tune"),
    )  # fmt: skip


def ranked_documents(retriever: Retriever, question: str) -> list[str]:
    """Distinct document ids in the order their best passage ranked."""
    return [document.id for document in retriever.retrieve(question, PASSAGES)][:MRR_DEPTH]


def evaluate_questions(retriever: Retriever, questions: list[Question]) -> RetrievalResult:
    """Score (kind, question, reference doc ids) triples: share of references in the top 5, first hit's rank."""
    result = RetrievalResult()
    for kind, question, references in tqdm(questions, desc="retrieval", unit="question"):
        ranked = ranked_documents(retriever, question)
        found = [doc for doc in references if doc in ranked[:RECALL_K]]
        result.recall[kind].append(len(found) / len(references))
        rank = next((n for n, doc in enumerate(ranked, start=1) if doc in references), None)
        result.reciprocal_rank.append(1 / rank if rank else 0.0)
        if len(found) < len(references):
            result.misses.append((question, list(references), ranked[:RECALL_K]))
    return result


def evaluate_golden(retriever: Retriever, questions: list[GoldenQuestion]) -> RetrievalResult:
    """The golden set, by question kind (direct, paraphrase, multi)."""
    return evaluate_questions(retriever, [(q.kind, q.question, q.reference_doc_ids) for q in questions])


def banking77_questions(data_dir: Path, per_intent: int = BANKING77_PER_INTENT) -> list[Question]:
    """The first real customer queries of each BANKING77 intent, with the documents meant to answer it."""
    coverage: dict[str, list[str]] = json.loads(COVERAGE_PATH.read_text(encoding="utf-8"))
    taken: dict[str, int] = defaultdict(int)
    questions = []
    with (data_dir / "banking77" / "train.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            intent = row["category"].strip()
            if intent in coverage and taken[intent] < per_intent:
                taken[intent] += 1
                questions.append(("banking77", row["text"].strip(), tuple(coverage[intent])))
    return questions


def _mean(values: list[float]) -> float | None:
    """Mean, or None for an empty list (JSON null, never NaN)."""
    return round(sum(values) / len(values), 4) if values else None


@dataclass
class RetrievalSuite:
    """The golden set's result and, when the external data is there, BANKING77's."""

    golden: RetrievalResult
    banking77: RetrievalResult | None
    alpha: float

    def metrics(self) -> dict[str, float | None]:
        """Flat metric -> value: recall_at_5, mrr, per-kind recall, banking77_* and the question count."""
        found = self.golden.metrics() | {"retrieval_questions": float(sum(map(len, self.golden.recall.values())))}
        return found | (self.banking77.metrics("banking77_") if self.banking77 else {})


def run_retrieval_suite(retriever: Retriever, data_dir: Path | None) -> RetrievalSuite:
    """Evaluate the golden set, and BANKING77's real queries when `data_dir` holds them."""
    banking77 = None
    if data_dir is not None and (data_dir / "banking77" / "train.csv").is_file():
        banking77 = evaluate_questions(retriever, banking77_questions(data_dir))
    return RetrievalSuite(evaluate_golden(retriever, load_golden()), banking77, retriever.alpha)
