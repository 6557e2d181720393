"""The RAG suite: golden questions through the real graph, scored with RAGAS 0.4 collections metrics.

Without a judge: context recall (reference document ids), ROUGE-L, BERTScore F1 and semantic similarity against
the reference answer, quoted-span alignment, and numeric grounding (evals/rag_metrics.py). With a judge:
Faithfulness, ResponseRelevancy and context precision (evals/rag_judge.py).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from evals.answer_checks import answer_metrics, share
from evals.bertscore import bertscore_f1
from evals.rag_judge import JudgeConfig, JudgeRun, judge_samples, verify_judge
from evals.rag_samples import JUDGE_METRICS, LOCAL_METRICS, RagSample
from evals.retrieval import CUSTOMER_PATH, UNANSWERABLE_PATH, GoldenQuestion, load_golden

if TYPE_CHECKING:
    from ragas.embeddings.base import BaseRagasEmbedding

    from agent.service import Assistant
    from agent.settings import Settings

# Sort order for "worst examples": the grounding and retrieval failures first.
WORST_KEYS = ("numeric_grounding", "context_recall", "faithfulness", "semantic_similarity", "rouge_l")


@dataclass
class RagSuite:
    """The scored samples and, when a judge ran, what it did."""

    samples: list[RagSample]
    judge: JudgeRun | None = None

    def metrics(self) -> dict[str, float | None]:
        """Flat rag_* metrics: the mean of each metric over the samples it applies to, and the counts."""
        names = LOCAL_METRICS + (JUDGE_METRICS if self.judge else ())
        found: dict[str, float | None] = {f"rag_{name}": self.mean(name) for name in names}
        answerable = [s for s in self.samples if s.question.answerable]
        found["rag_questions"] = float(len(answerable))
        found["rag_banking_routed"] = share([s.route == "banking" for s in answerable])
        found |= answer_metrics(self.samples)
        if self.judge:
            found["rag_judge_requests"] = float(len(self.judge.requested_urls))
            for name, failures in self.judge.failures.items():
                found |= {f"rag_{name}_{kind}_failures": float(failures[kind]) for kind in ("parse", "nan", "error")}
        return found

    def mean(self, name: str) -> float | None:
        """Mean over the samples that have a value (None-valued ones are counted in the report, not averaged)."""
        values = [v for s in self.samples if (v := s.scores.get(name)) is not None]
        return round(statistics.fmean(values), 4) if values else None

    def worst(self, count: int = 10) -> list[RagSample]:
        """The lowest-scoring samples: ungrounded numbers first, then missed documents, then the rest."""

        def key(sample: RagSample) -> tuple[float, ...]:
            return tuple(_or_one(sample.scores.get(name)) for name in WORST_KEYS)

        return sorted(self.samples, key=key)[:count]


def pick_questions(questions: list[GoldenQuestion], limit: int | None) -> list[GoldenQuestion]:
    """All questions, or `limit` of them spread over the set (so every kind is sampled)."""
    if limit is None or limit >= len(questions):
        return questions
    step = len(questions) / limit
    return [questions[int(n * step)] for n in range(limit)]


def answer_questions(assistant: Assistant, questions: list[GoldenQuestion]) -> list[RagSample]:
    """Each question as a new conversation through the whole graph (masking, guard, routing, answer)."""
    samples = []
    for question in tqdm(questions, desc="rag: answering", unit="question"):
        result = assistant.ask(question.question)
        ids = [source["id"] for source in result.sources]
        contexts = _contexts_for(assistant, result.masked_input, ids)
        samples.append(RagSample(question, result.route, result.answer, ids, contexts, list(result.output_check)))
    return samples


def _contexts_for(assistant: Assistant, query: str, ids: list[str]) -> list[str]:
    """The passages the answer node gave the model for the cited documents (retrieval is deterministic)."""
    if not ids:
        return []
    settings = assistant.services.settings
    documents = assistant.services.retriever.retrieve(query, settings.retrieval_top_k)
    return ["\n\n".join(d.passages) for d in documents if d.id in ids]


async def score_locally(samples: list[RagSample], embeddings: BaseRagasEmbedding) -> None:
    """The metrics that need no judge, into each sample's scores (and why, where RAGAS says)."""
    from ragas.metrics.collections import QuotedSpansAlignment, RougeScore, SemanticSimilarity

    from evals.rag_metrics import DocumentContextRecall, NumericGrounding

    recall, rouge, similar = DocumentContextRecall(), RougeScore(rouge_type="rougeL"), SemanticSimilarity(embeddings)
    quoted, numeric = QuotedSpansAlignment(), NumericGrounding()
    for sample in tqdm([s for s in samples if s.question.answerable], desc="rag: scoring", unit="answer"):
        reference = sample.question.reference_answer
        results = {
            "context_recall": await recall.ascore(sample.answer_context_ids, list(sample.question.reference_doc_ids)),
            "rouge_l": await rouge.ascore(reference=reference, response=sample.answer),
            "semantic_similarity": await similar.ascore(reference=reference, response=sample.answer),
        }
        if sample.answered_from_passages:
            results["quoted_spans"] = await quoted.ascore(response=sample.answer, retrieved_contexts=sample.contexts)
            results["numeric_grounding"] = await numeric.ascore(sample.answer, sample.contexts)
        for name, result in results.items():
            sample.scores[name] = None if result.value is None else round(float(result.value), 4)
            if result.reason:
                sample.reasons[name] = result.reason
    score_bertscore(samples)


def score_bertscore(samples: list[RagSample]) -> None:
    """BERTScore F1 of each answer against its reference answer, all in one batched pass."""
    scored = [s for s in samples if s.question.answerable and s.question.reference_answer.strip()]
    values = bertscore_f1([s.answer for s in scored], [s.question.reference_answer for s in scored])
    for sample, value in zip(scored, values, strict=True):
        sample.scores["bertscore_f1"] = round(value, 4)


def run_rag_suite(settings: Settings, limit: int | None = None, judge: JudgeConfig | None = None) -> RagSuite:
    """Answer the golden questions with the real graph, then score them (and judge them, given a judge)."""
    from agent.service import open_assistant
    from evals.rag_metrics import LocalEmbeddings

    sets = (load_golden(), load_golden(CUSTOMER_PATH), load_golden(UNANSWERABLE_PATH))
    questions = [question for questions in sets for question in pick_questions(questions, limit)]
    if judge is not None:
        verify_judge(judge)
    with tempfile.TemporaryDirectory(prefix="bankassist-rag-") as tmp, open_assistant(_scratch(settings, tmp)) as bot:
        samples = answer_questions(bot, questions)
        embeddings = LocalEmbeddings(bot.services.retriever.embedder)
        asyncio.run(score_locally(samples, embeddings))
        if judge is None:
            return RagSuite(samples)
        return RagSuite(samples, asyncio.run(judge_samples(samples, judge, embeddings)))


def _scratch(settings: Settings, tmp: str) -> Settings:
    """The configured models, store and corpus; the eval's conversations and audit lines kept out of the real ones."""
    update = {"checkpoint_url": f"sqlite:///{tmp}/checkpoints.db", "audit_log_path": Path(tmp) / "audit.jsonl"}
    return settings.model_copy(update=update)


def _or_one(value: float | None) -> float:
    """A missing score sorts as perfect: it says nothing bad about the sample."""
    return 1.0 if value is None else value
