"""Train the scope guard (`bankassist train-guard`): fine-tune, distil, fit the fast head, calibrate.

The encoder is fine-tuned first; the fast head's static token vectors are distilled from it.

Train: CLINC150 train + oos_train, BANKING77 train, the project's train split (weighted up, since it is
small and closest to our customers) and the training share of the framed attacks and their look-alikes
(finetune/attack_templates.py). Tune the thresholds on CLINC150 val + oos_val only.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from agent.scope.features import load_static_embedder, static_table_key
from agent.scope.guard import IN_SCOPE, decide
from agent.scope.weights import LinearHead, ScopeWeights, Thresholds
from agent.settings import Settings
from agent.state import ROUTES
from finetune.account_head import with_account_head
from finetune.attack_templates import attack_set
from finetune.intent_head import with_intent_head
from finetune.scope_encoder import EncoderTraining, TunedEncoder, tune_encoder
from retrieval.embeddings import Embedder, load_sentence_transformer
from tools.datasets import (
    LabeledQuery,
    banking77_train,
    cap_per_class,
    clinc150,
    project_queries,
    require_data_dir,
    split_banking77,
)

PROJECT_WEIGHT = 5.0  # each project query counts as five external ones
# The fast head hands over to the transformer head when less sure than a threshold from this grid.
ESCALATE_GRID = np.round(np.arange(0.5, 1.0, 0.01), 2)
ALWAYS_ESCALATE = 1.01  # above any probability: the fast head never decides
CLARIFY_SHARE = 0.02  # the clarify band may hold at most this share of the tuning out-of-scope queries
# and is at most this wide: at 0.2 the sharp fine-tuned head put "What's the capital of France?" (0.36) in it
CLARIFY_WIDTH = 0.1
REGULARIZATION_C = 10.0
# A stratified slice of BANKING77 train the guard never sees, so the scope suite can score its 77-way intent.
BANKING77_HELD_OUT = 0.1
HELD_OUT_SEED = 0


@dataclass(frozen=True)
class TrainingData:
    """What the heads learn from, and what the thresholds are tuned on."""

    train: list[LabeledQuery]
    weights: np.ndarray
    tune: list[LabeledQuery]
    held_out: dict[str, Any] = field(default_factory=dict)  # how BANKING77 was split: share, seed, queries


def load_training_data(
    data_dir: Path, max_per_class: int | None = None, held_out_share: float = BANKING77_HELD_OUT
) -> TrainingData:
    """Read every source; `max_per_class` keeps the first N of each class (quick runs and tests).

    `held_out_share` of each BANKING77 intent is left out (0: none), drawn with HELD_OUT_SEED.
    """
    banking77, held = split_banking77(banking77_train(data_dir), held_out_share, HELD_OUT_SEED)
    external = cap_per_class(clinc150(data_dir, ["train", "oos_train"]) + banking77, max_per_class)
    ours = cap_per_class(project_queries("train") + attack_set().train, max_per_class and max_per_class * 4)
    weights = np.array([1.0] * len(external) + [PROJECT_WEIGHT] * len(ours))
    tune = cap_per_class(clinc150(data_dir, ["val", "oos_val"]), max_per_class)
    held_out = {"share": held_out_share, "seed": HELD_OUT_SEED, "queries": len(held)}
    return TrainingData(external + ours, weights, tune, held_out)


def class_names_of(data: TrainingData) -> list[str]:
    """The heads' classes (dataset intents and our routes), sorted."""
    return sorted({q.label for q in data.train})


def train_guard(data: TrainingData, fast_encoder: Embedder, full: TunedEncoder, source: str) -> ScopeWeights:
    """Fit the fast head on the tuned encoder's classes, then calibrate the thresholds on the tuning set."""
    class_names = class_names_of(data)
    route_of = {q.label: ROUTES.index(q.route) for q in data.train}
    class_routes = np.array([route_of[c] for c in class_names])
    fast = fit_linear_head(fast_encoder.embed([q.text for q in data.train]), data, class_names)
    tune_texts = [q.text for q in data.tune]
    full_probabilities = full.head.route_probabilities(full.embedder.embed(tune_texts), class_routes)
    is_in_scope = np.array([q.route != "out_of_scope" for q in data.tune])
    answer, clarify = calibrate(full_probabilities[:, :IN_SCOPE].sum(axis=1), is_in_scope)
    fast_probabilities = fast.route_probabilities(fast_encoder.embed(tune_texts), class_routes)
    escalate = calibrate_escalation(fast_probabilities, full_probabilities, Thresholds(answer, clarify, 1.0))
    info = {
        "trained_on": str(date.today()),
        "encoder": source,
        "lora": full.lora,
        "train_queries": _count_by_source(data.train),
        "tune_queries": len(data.tune),
        "banking77_held_out": data.held_out,
    }
    return ScopeWeights(
        class_names=np.array(class_names),
        class_routes=class_routes,
        fast=fast,
        full=full.head,
        thresholds=Thresholds(answer, clarify, escalate),
        info=info,
        adapter=full.adapter,
    )


def calibrate(in_scope: np.ndarray, is_in_scope: np.ndarray) -> tuple[float, float]:
    """The answer threshold with the best balanced recall; a narrow clarify band just below it."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    balanced = [(np.mean(in_scope[is_in_scope] >= t) + np.mean(in_scope[~is_in_scope] < t)) / 2 for t in grid]
    answer = float(grid[int(np.argmax(balanced))])
    # The band may catch only a few out-of-scope queries: they get a question, not an answer.
    below = np.sort(in_scope[~is_in_scope & (in_scope < answer)])[::-1]
    allowed = int(CLARIFY_SHARE * int((~is_in_scope).sum()))
    floor = float(np.ceil(below[allowed] * 1e4 + 1e-6) / 1e4) if allowed < len(below) else 0.0
    return answer, round(max(answer - CLARIFY_WIDTH, floor), 4)


def calibrate_escalation(fast: np.ndarray, full: np.ndarray, thresholds: Thresholds) -> float:
    """The lowest fast-head confidence to trust: above it, the fast head decides every tuning query as the full head.

    The fast head only saves time, so it may not change a decision the full head makes on the tuning set.
    """
    wanted = [decide(row, thresholds).route for row in full]
    agrees = np.array([decide(row, thresholds).route == want for row, want in zip(fast, wanted, strict=True)])
    confidence = fast.max(axis=1)
    for escalate in ESCALATE_GRID:
        if agrees[confidence >= escalate].all():
            return float(escalate)
    return ALWAYS_ESCALATE


def fit_linear_head(features: Any, data: TrainingData, class_names: list[str]) -> LinearHead:
    """Multinomial logistic regression on the training queries' features, rows in `class_names` order."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=REGULARIZATION_C, max_iter=3000)
    model.fit(features, [q.label for q in data.train], sample_weight=data.weights)
    order = [list(model.classes_).index(name) for name in class_names]
    return LinearHead(model.coef_[order].astype(np.float32), model.intercept_[order].astype(np.float32))


def _count_by_source(queries: list[LabeledQuery]) -> dict[str, int]:
    """How many training queries each dataset gave."""
    counts: dict[str, int] = defaultdict(int)
    for query in queries:
        counts[query.label.split(":")[0]] += 1
    return dict(counts)


def train_and_save(
    settings: Settings,
    out: Path,
    encoder: str | None = None,
    max_per_class: int | None = None,
    training: EncoderTraining | None = None,
    held_out_share: float = BANKING77_HELD_OUT,
) -> ScopeWeights:
    """What `bankassist train-guard` runs: read the data by path, fine-tune, fit, write the weights file."""
    assert settings.model_cache_dir is not None  # filled by the settings validator
    started = time.perf_counter()
    data = load_training_data(require_data_dir(settings.external_data_dir), max_per_class, held_out_share)
    name = encoder or settings.embedding_model
    training = training or EncoderTraining()
    tuned = tune_encoder(load_sentence_transformer(name), data.train, data.weights, class_names_of(data), training)
    # Distilled from the tuned encoder and cached under the key the runtime looks up, so it is reused there.
    fast = load_static_embedder(tuned.embedder, settings.model_cache_dir, static_table_key(name, tuned.adapter))
    weights = with_intent_head(train_guard(data, fast, tuned, name), data.train, tuned.embedder, fast)
    weights = with_account_head(weights, require_data_dir(settings.external_data_dir), tuned.embedder, fast)
    weights = replace(
        weights,
        info=weights.info | {"encoder_training": asdict(training), "seconds": round(time.perf_counter() - started)},
    )
    weights.save(out)
    return weights
