"""Train the extractive answer selector's logistic model and calibrate its thresholds on the tuning questions.

    bankassist train-selector                      # writes retrieval/answer_selector.json
    bankassist train-selector --out /tmp/sel.json  # somewhere else (BANKASSIST_ANSWER_SELECTOR_PATH to use it)

Training rows are the units of the passages the real retriever returns for each tuning question
(the golden set, the tuning split of the customer-wording and unanswerable sets, and the 99 unanswerable
questions kept for tuning alone in `evals/data/unanswerable_tuning.jsonl`); a unit is a
positive when it contains one of the question's expected facts. The customer-wording test split is
never read here. The thresholds (the answer's and the next units' probabilities, and the floor the best
candidate's `asked_like` must reach) are the ones that best serve both kinds of tuning question: the
answerable get their fact, the unanswerable an abstention (the sum of the two shares is maximised). Then the
answerability check, which decides whether a standalone question is answered at all, is fitted on the best
units and its threshold calibrated the same way.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from agent import prompts
from agent.dependencies import load_unanswered_questions, load_unit_questions
from agent.service import Settings, open_retriever
from evals.answer_checks import abstained, normalized, states_expected
from evals.retrieval import (
    CUSTOMER_PATH,
    GOLDEN_PATH,
    UNANSWERABLE_PATH,
    UNANSWERABLE_TUNING_PATH,
    GoldenQuestion,
    load_golden,
)  # fmt: skip
from retrieval.answer_selector import (
    DEFAULT_WEIGHTS,
    FEATURES,
    UNANSWERED_LIKE,
    Answerability,
    AnswerSelector,
    ScoredUnit,
    SelectorWeights,
    answerable_features,
)
from retrieval.answer_units import quoted
from retrieval.retriever import Retriever

GRID = [round(0.05 * n, 2) for n in range(1, 20)]  # 0.05 .. 0.95
# The selector without `asked_like` quoted 1.99 units an answer on the tuning questions (2026-12-05).
MAX_UNITS_PER_ANSWER = 2.0
# ... and answered 0.73 of the answerable ones. Without this floor the calibration chose to abstain on 38% of
# them for 4 more of the 32 unanswerable ones, and the conversations suite's plain questions ("Do savings
# accounts have a fee?") went unanswered (turns passed 0.977 -> 0.923).
MIN_ANSWERED = 0.73
FLOORS = [0.0, *(round(0.4 + 0.025 * n, 3) for n in range(17))]  # the asked-like floor: off, or 0.40 .. 0.80
L2 = 1.0  # ~200 questions: keep the seven weights modest


@dataclass
class Ranked:
    """One tuning question and its retrieved units, scored with the weights being fitted."""

    question: GoldenQuestion
    units: list[ScoredUnit] = field(default_factory=list)


def tuning_questions() -> list[GoldenQuestion]:
    """Every question but the test split's."""
    sets = (GOLDEN_PATH, CUSTOMER_PATH, UNANSWERABLE_PATH, UNANSWERABLE_TUNING_PATH)
    every = [question for path in sets for question in load_golden(path)]
    return [q for q in every if q.split != "test"]


def rank_all(selector: AnswerSelector, retriever: Retriever, questions: list[GoldenQuestion], top_k: int,
             min_score: float) -> list[Ranked]:  # fmt: skip
    """Each question's units as the node sees them (the same retrieval, top-k and relevance floor)."""
    ranked = []
    for question in questions:
        documents = [d for d in retriever.retrieve(question.question, top_k) if d.score >= min_score]
        ranked.append(Ranked(question, selector.rank(question.question, documents)))
    return ranked


def is_answer(unit_text: str, expect: tuple[str, ...]) -> bool:
    """The unit states one of the expected facts."""
    text = normalized(unit_text)
    return any(normalized(option) in text for item in expect for option in item.split(" | "))


def fit_logistic(features: np.ndarray, labels: np.ndarray, l2: float = L2, steps: int = 50) -> np.ndarray:
    """Weights (bias last) of an L2-regularised logistic regression, by Newton's method."""
    x = np.hstack([features, np.ones((len(features), 1))])
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * l2
    penalty[-1, -1] = 0.0  # the bias is not shrunk
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - labels) + penalty @ w
        hessian = (x.T * (p * (1 - p))) @ x + penalty
        w -= np.linalg.solve(hessian, gradient)
    return w


def answer_text(chosen: list[ScoredUnit]) -> str:
    """The answer the node would give (citations aside)."""
    return " ".join(quoted([scored.unit for scored in chosen]))


def evaluate(selector: AnswerSelector, ranked: list[Ranked]) -> dict[str, float]:
    """Fact accuracy on the answerable, abstention on the unanswerable, with the selector's thresholds."""
    return evaluate_rescored(selector, [Ranked(row.question, selector.rescore(row.units)) for row in ranked])


def evaluate_rescored(selector: AnswerSelector, rescored: list[Ranked]) -> dict[str, float]:
    """`evaluate` on units already scored with the selector's weights (calibration tries many thresholds)."""
    return scores(*outcomes(selector, rescored), np.array([row.question.answerable for row in rescored]))


def outcomes(selector: AnswerSelector, rescored: list[Ranked]) -> tuple[np.ndarray, np.ndarray]:
    """Per question: whether the answer serves it (states the fact, or abstains if unanswerable), units quoted."""
    good, units = [], []
    for row in rescored:
        chosen = selector.pick(row.units)
        good.append(serves(row.question, answer_text(chosen) if chosen else prompts.NO_ANSWER))
        units.append(len(chosen))
    return np.array(good), np.array(units)


def serves(question: GoldenQuestion, answer: str) -> bool:
    """The answerable question's fact is stated; the unanswerable one is abstained on."""
    return states_expected(answer, question.expect) if question.answerable else abstained(answer)


def scores(good: np.ndarray, units: np.ndarray, answerable: np.ndarray) -> dict[str, float]:
    """Fact accuracy, abstention, units per answer and the answered share of the answerable questions."""
    quoted = units[units > 0]
    return {
        "fact_accuracy": float(np.mean(good[answerable])), "abstention": float(np.mean(good[~answerable])),
        "units_per_answer": float(np.mean(quoted)) if len(quoted) else 0.0,
        "answered": float(np.mean(units[answerable] > 0)),
    }  # fmt: skip


def calibrate(
    selector: AnswerSelector, ranked: list[Ranked], weights: dict[str, float], bias: float
) -> SelectorWeights:
    """The thresholds with the best sum of fact accuracy and abstention on the tuning questions.

    Two limits keep the gain from being bought with what the customer reads. Quoting more units states the
    fact more often and buries it deeper, so answers may not grow longer on average than the selector before
    the units' questions made them (MAX_UNITS_PER_ANSWER). And abstaining more gains on the few unanswerable
    questions and loses on the many answerable ones, so no fewer answerable questions may get an answer
    (MIN_ANSWERED).
    """
    selector.weights = SelectorWeights(weights, bias, 0.0, 0.0)
    rescored = [Ranked(row.question, selector.rescore(row.units)) for row in ranked]
    floors = FLOORS if selector.unit_questions is not None else [0.0]
    answerable = np.array([row.question.answerable for row in rescored])
    trials = []
    for first in GRID:
        for second in [s for s in GRID if s >= first] + [1.01]:
            for floor in floors:
                selector.weights = SelectorWeights(weights, bias, first, second, floor)
                found = scores(*outcomes(selector, rescored), answerable)
                trials.append((*served(found), first, second, floor))
    # Within the limits if any thresholds are; a handful of questions (a test) may allow none. On a tie the
    # larger thresholds win.
    *_, first, second, floor = max(trials)
    return SelectorWeights(weights, bias, first, second, floor)


def served(found: dict[str, float]) -> tuple[bool, float]:
    """Whether the answers keep to the two limits (no longer on average, no fewer answered), and what they serve."""
    within = found["units_per_answer"] <= MAX_UNITS_PER_ANSWER and found["answered"] >= MIN_ANSWERED
    return within, found["fact_accuracy"] + found["abstention"]


def fit_answerability(selector: AnswerSelector, ranked: list[Ranked], calibrated: SelectorWeights) -> Answerability:
    """The answerability check, fitted on the tuning questions' best units, and its threshold calibrated.

    Each question with candidates is answered as if every best unit answered (`calibrated`'s next units and
    floor, no answer threshold). The check learns to tell the unanswerable questions from the answerable ones
    that answer states the fact of; an answerable question answered wrongly is wrong either way, so it teaches
    nothing. Its threshold has the best sum of fact accuracy and abstention within `calibrate`'s two limits and
    one more: it must state more facts than the answer threshold it replaces. The best sum alone (0.55 on
    2026-12-07) silenced plain questions ("My CD is about to mature, what happens?") for abstentions on
    questions the policy does not answer; this limit chose 0.40, which states more facts and abstains more often
    than the unanswered gate before it, 5-fold cross-validated (README).
    """
    selector.weights = calibrated
    alone = evaluate(selector, ranked)["fact_accuracy"]  # the answer threshold's facts
    selector.weights = replace(calibrated, answer_threshold=0.0, answerable=None)
    rescored = [Ranked(row.question, selector.rescore(row.units)) for row in ranked]
    answerable = np.array([row.question.answerable for row in rescored])
    good, units = outcomes(selector, rescored)  # no units: nothing retrieved, or under the asked-like floor
    has_units = np.array([bool(row.units) for row in rescored])
    features = np.array([answerable_features(row.units[0]) for row in rescored if row.units])
    teaches = (~answerable | good)[has_units]
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-9  # fitted on a common scale, stored on their own
    fitted = fit_logistic((features[teaches] - mean) / scale, answerable[has_units][teaches].astype(np.float64))
    weights = fitted[:-1] / scale
    check = Answerability(tuple(round(float(w), 4) for w in weights), round(float(fitted[-1] - weights @ mean), 4), 0.0)
    probabilities = np.zeros(len(rescored))
    probabilities[has_units] = [check.probability(row.units[0]) for row in rescored if row.units]
    abstaining_serves = ~answerable
    trials = []
    for threshold in GRID:
        answers = (units > 0) & (probabilities >= threshold)
        found = scores(np.where(answers, good, abstaining_serves), np.where(answers, units, 0), answerable)
        within, serving = served(found)
        trials.append((within and found["fact_accuracy"] > alone, serving, threshold))
    *_, threshold = max(trials)
    return replace(check, threshold=threshold)


def train_selector(retriever: Retriever, settings: Settings, out: Path = DEFAULT_WEIGHTS) -> dict[str, Any]:
    """Fit, calibrate and write the weights; returns what was done and measured (on the tuning questions)."""
    started = time.perf_counter()
    questions = tuning_questions()
    top_k, min_score = settings.retrieval_top_k, settings.retrieval_min_score
    unit_questions = load_unit_questions(settings, retriever.embedder)
    unanswered = load_unanswered_questions(settings, retriever.embedder, unit_questions)
    selector = AnswerSelector(retriever.embedder, SelectorWeights.load(), unit_questions, unanswered)
    ranked = rank_all(selector, retriever, questions, top_k, min_score)
    rows = [(s.features, is_answer(s.unit.text, r.question.expect)) for r in ranked for s in r.units]
    features = np.array([f for f, _ in rows], dtype=np.float64)
    features[:, UNANSWERED_LIKE] = 0.0  # the answerability check's, not the unit model's: its weight stays 0
    labels = np.array([float(y) for _, y in rows])
    fitted = fit_logistic(features, labels)
    named = zip(FEATURES, fitted[:-1], strict=True)
    weights = {name: round(float(w), 4) for name, w in named if name != FEATURES[UNANSWERED_LIKE]}
    calibrated = calibrate(selector, ranked, weights, round(float(fitted[-1]), 4))
    if unanswered is not None:  # the check reads the question's margin to the unanswered questions
        calibrated = replace(calibrated, answerable=fit_answerability(selector, ranked, calibrated))
    selector.weights = calibrated
    covered = [any(is_answer(s.unit.text, r.question.expect) for s in r.units) for r in ranked if r.question.answerable]
    report = {
        "questions": len(questions), "units": len(rows), "positives": int(labels.sum()),
        "answer_in_candidates": round(float(np.mean(covered)), 4), **evaluate(selector, ranked),
        "top_k": top_k, "seconds": round(time.perf_counter() - started, 1),
    }  # fmt: skip
    out.write_text(json.dumps(weights_file(calibrated, report), indent=2) + "\n", encoding="utf-8")
    return report


def weights_file(weights: SelectorWeights, report: dict[str, Any]) -> dict[str, Any]:
    """The JSON the selector loads, with how it was trained."""
    return {
        "weights": weights.weights,
        "bias": weights.bias,
        "thresholds": [weights.answer_threshold, weights.second_threshold],
        "asked_like_floor": weights.asked_like_floor,
        "answerable": weights.answerable.to_json() if weights.answerable else None,
        "trained_on": "tuning questions: evals/data/retrieval_golden.jsonl, unanswerable_tuning.jsonl and the "
        "tune splits of customer_questions.jsonl and unanswerable.jsonl (never the test splits)",
        "tuning_scores": report,
    }


def train_and_save(settings: Settings, out: Path | None = None) -> dict[str, Any]:
    """Train on the configured retriever (its top-k and relevance floor, as the node uses them) and save."""
    with open_retriever(settings) as retriever:
        return train_selector(retriever, settings, out or DEFAULT_WEIGHTS)
