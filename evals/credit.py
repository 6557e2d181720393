"""Extraction quality on held-out synthetic report pairs: the fine-tuned extractor against the prompted base.

For each pair: fact-level precision/recall/F1 against the deterministic diff, format validity, and
ROUGE-L and BERTScore F1 of the written answer (checked facts phrased by the synthesizer) against the reference
narrative, and that answer's grounding: the share of the numbers it states that the pair's reports (as the
comparison sheet) contain.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from tqdm import tqdm

from agent.credit import check_extraction, checked_answers, extractor_messages
from agent.runtime.backends import generate_many
from evals.bertscore import bertscore_f1
from evals.text_metrics import rouge_l
from finetune.credit_data import CreditPair, split_pairs
from tools.credit_diff import Fact
from tools.credit_facts import FactScore, parse_facts, score_facts
from tools.credit_plan import PlanStep
from tools.grounding import numbers_in, ungrounded_numbers

T = TypeVar("T")
QUESTION = "What changed in my credit report?"
DEFAULT_PAIRS = 100
CHUNK = 32  # prompts per progress step: the local backend's default padded batch, so batching is unchanged
WORST = 10  # examples in the report: the pairs the fine-tuned extractor scored lowest on


@dataclass(frozen=True)
class ModelResult:
    """One model's extraction scores over all pairs."""

    score: FactScore
    format_valid: float
    rouge_l: float
    bertscore_f1: float
    answer_grounding: float | None  # None when no answer states a number
    seconds: float
    pair_f1: tuple[float, ...] = ()  # per pair, in order: picks the worst examples

    def metrics(self, prefix: str) -> dict[str, float | None]:
        """Flat metrics under `prefix` (extractor_ or base_)."""
        return {
            f"{prefix}precision": self.score.precision,
            f"{prefix}recall": self.score.recall,
            f"{prefix}f1": self.score.f1,
            f"{prefix}format_valid": self.format_valid,
            f"{prefix}bertscore_f1": self.bertscore_f1,
            f"{prefix}answer_grounding": self.answer_grounding,
            f"{prefix}seconds": self.seconds,
        }


@dataclass(frozen=True)
class CreditSuite:
    """The fine-tuned extractor and the prompted base, on the same held-out pairs."""

    pairs: int
    extractor: ModelResult
    base: ModelResult
    examples: list[dict[str, str]]

    def metrics(self) -> dict[str, float | None]:
        """`extractor_f1`, `extractor_format_valid`, `base_f1`, `rouge_l` (fine-tuned pipeline) and more."""
        values = self.extractor.metrics("extractor_") | self.base.metrics("base_")
        return values | {"rouge_l": self.extractor.rouge_l, "base_rouge_l": self.base.rouge_l, "pairs": self.pairs}


def evaluate_model(
    extractor: BaseChatModel, synthesizer: BaseChatModel, pairs: list[CreditPair], concurrency: int = 8
) -> tuple[ModelResult, list[str], list[str]]:
    """Extract facts for every pair, score them, phrase the checked facts and score the answers."""
    started = time.perf_counter()
    # No per-call cap: each model's role cap applies (the base gets the extractor's when it plays that role).
    conversations = [extractor_messages(p.old, p.new) for p in pairs]
    outputs = in_chunks(partial(generate_many, extractor, concurrency=concurrency), conversations, "credit: extracting")
    total, valid, pair_f1 = FactScore(0, 0, 0), 0, []
    for pair, output in zip(pairs, outputs, strict=True):
        extraction = parse_facts(output)
        score = score_facts(extraction.facts, pair.facts)
        total, valid = total + score, valid + extraction.format_valid
        pair_f1.append(score.f1)
    # No fallback to the diff here: the answers are scored on what this model itself extracted.
    checked = [
        check_extraction(output, pair.facts, fallback=False).facts for pair, output in zip(pairs, outputs, strict=True)
    ]
    jobs: list[tuple[list[Fact], list[PlanStep], str]] = [(facts, [], QUESTION) for facts in checked]
    answers = in_chunks(partial(checked_answers, synthesizer, concurrency=concurrency), jobs, "credit: answering")
    rouge = sum(rouge_l(a, p.narrative) for a, p in zip(answers, pairs, strict=True)) / len(pairs)
    grounding = answer_grounding(answers, pairs)
    seconds = time.perf_counter() - started
    # After the clock: the seconds stay the model's own, comparable with runs before BERTScore.
    bert = sum(bertscore_f1(answers, [p.narrative for p in pairs])) / len(pairs)
    result = ModelResult(total, valid / len(pairs), rouge, bert, grounding, seconds, tuple(pair_f1))
    return result, outputs, answers


def in_chunks(run: Callable[[list[T]], list[str]], items: list[T], desc: str) -> list[str]:
    """`run` over `items` a padded batch at a time, with a progress bar (on stderr) between batches."""
    results: list[str] = []
    with tqdm(total=len(items), desc=desc, unit="pair") as bar:
        for start in range(0, len(items), CHUNK):
            results += run(items[start : start + CHUNK])
            bar.update(min(CHUNK, len(items) - start))
    return results


def answer_grounding(answers: list[str], pairs: list[CreditPair]) -> float | None:
    """Mean share of the numbers an answer states that its pair's comparison sheet holds (over answers with any)."""
    shares = []
    for answer, pair in zip(answers, pairs, strict=True):
        if stated := numbers_in(answer):
            shares.append(1 - len(ungrounded_numbers(answer, pair.sheet)) / len(stated))
    return round(sum(shares) / len(shares), 4) if shares else None


def run_credit_suite(
    extractor: BaseChatModel,
    base: BaseChatModel,
    synthesizer: BaseChatModel,
    count: int = DEFAULT_PAIRS,
    seed: int = 0,
    concurrency: int = 8,
) -> CreditSuite:
    """Score the extractor and the base model in its place (same prompt, adapter off) on `count` test pairs."""
    if count < 1:
        raise ValueError("the credit suite needs at least one pair")
    pairs = split_pairs("test", count, seed)
    tuned, tuned_outputs, tuned_answers = evaluate_model(extractor, synthesizer, pairs, concurrency)
    prompted, base_outputs, _ = evaluate_model(base, synthesizer, pairs, concurrency)
    rows = zip(pairs, tuned.pair_f1, tuned_outputs, base_outputs, tuned_answers, strict=True)
    examples = [
        {"sheet": p.sheet, "truth": "\n".join(f.line for f in p.facts), "f1": f"{f1:.2f}", "extractor": t, "base": b}
        | {"answer": a}
        for p, f1, t, b, a in sorted(rows, key=lambda row: row[1])[:WORST]
    ]
    return CreditSuite(len(pairs), tuned, prompted, examples)
