"""Train the scope guard (`bankassist train-guard`): fine-tune the encoder, fit the fast head, calibrate.

Train: CLINC150 train + oos_train, BANKING77 train and the project's train split (weighted up, since
it is small and closest to our customers). Tune the thresholds on CLINC150 val + oos_val only.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from agent.scope import IN_SCOPE, ScopeGuard
from agent.scope_weights import LinearHead, ScopeWeights, Thresholds
from agent.settings import Settings
from agent.state import ROUTES
from finetune.scope_data import LabeledQuery, banking77_train, clinc150, project_queries
from finetune.scope_encoder import EncoderTraining, TunedEncoder
from retrieval.embeddings import Embedder

PROJECT_WEIGHT = 5.0  # each project query counts as five external ones
ESCALATE_BELOW = 0.9  # fast head less sure than this hands over to the transformer head
CLARIFY_SHARE = 0.02  # the clarify band may hold at most this share of the tuning out-of-scope queries
# and is at most this wide: at 0.2 the sharp fine-tuned head put "What's the capital of France?" (0.36) in it
CLARIFY_WIDTH = 0.1
REGULARIZATION_C = 10.0


@dataclass(frozen=True)
class TrainingData:
    """What the heads learn from, and what the thresholds are tuned on."""

    train: list[LabeledQuery]
    weights: np.ndarray
    tune: list[LabeledQuery]


def load_training_data(data_dir: Path, max_per_class: int | None = None) -> TrainingData:
    """Read every source; `max_per_class` keeps the first N of each class (quick runs and tests)."""
    external = _cap(clinc150(data_dir, ["train", "oos_train"]) + banking77_train(data_dir), max_per_class)
    ours = _cap(project_queries("train"), max_per_class and max_per_class * 4)
    weights = np.array([1.0] * len(external) + [PROJECT_WEIGHT] * len(ours))
    tune = _cap(clinc150(data_dir, ["val", "oos_val"]), max_per_class)
    return TrainingData(external + ours, weights, tune)


def class_names_of(data: TrainingData) -> list[str]:
    """The heads' classes (dataset intents and our routes), sorted."""
    return sorted({q.label for q in data.train})


def train_guard(data: TrainingData, fast_encoder: Embedder, full: TunedEncoder, source: str) -> ScopeWeights:
    """Fit the fast head on the tuned encoder's classes, then calibrate the cascade on the tuning set."""
    class_names = class_names_of(data)
    route_of = {q.label: ROUTES.index(q.route) for q in data.train}
    fast = fit_linear_head(fast_encoder.embed([q.text for q in data.train]), data, class_names)
    weights = ScopeWeights(
        class_names=np.array(class_names),
        class_routes=np.array([route_of[c] for c in class_names]),
        fast=fast,
        full=full.head,
        thresholds=Thresholds(answer=0.5, clarify=0.5, escalate=ESCALATE_BELOW),  # calibrated next
        adapter=full.adapter,
    )
    tune_probabilities = ScopeGuard(weights, fast_encoder, full.embedder).route_probabilities(
        [q.text for q in data.tune]
    )
    is_in_scope = np.array([q.route != "out_of_scope" for q in data.tune])
    answer, clarify = calibrate(tune_probabilities[:, :IN_SCOPE].sum(axis=1), is_in_scope)
    info = {
        "trained_on": str(date.today()),
        "encoder": source,
        "lora": full.lora,
        "train_queries": _count_by_source(data.train),
        "tune_queries": len(data.tune),
    }
    return replace(weights, thresholds=Thresholds(answer, clarify, ESCALATE_BELOW), info=info)


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


def fit_linear_head(features: Any, data: TrainingData, class_names: list[str]) -> LinearHead:
    """Multinomial logistic regression on the training queries' features, rows in `class_names` order."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=REGULARIZATION_C, max_iter=3000)
    model.fit(features, [q.label for q in data.train], sample_weight=data.weights)
    order = [list(model.classes_).index(name) for name in class_names]
    return LinearHead(model.coef_[order].astype(np.float32), model.intercept_[order].astype(np.float32))


def _cap(queries: list[LabeledQuery], limit: int | None) -> list[LabeledQuery]:
    """At most `limit` queries per class, in file order."""
    if not limit:
        return queries
    seen: dict[str, int] = defaultdict(int)
    kept = []
    for query in queries:
        seen[query.label] += 1
        if seen[query.label] <= limit:
            kept.append(query)
    return kept


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
) -> ScopeWeights:
    """What `bankassist train-guard` runs: read the data by path, fine-tune, fit, write the weights file."""
    from dataclasses import asdict

    from agent.services import load_fast_encoder
    from finetune.scope_data import require_data_dir
    from finetune.scope_encoder import tune_encoder
    from retrieval.embeddings import load_sentence_transformer

    started = time.perf_counter()
    data = load_training_data(require_data_dir(settings.external_data_dir), max_per_class)
    name = encoder or settings.embedding_model
    fast = load_fast_encoder(name, settings)  # distilled from the base model, before any tuning
    training = training or EncoderTraining()
    tuned = tune_encoder(load_sentence_transformer(name), data.train, data.weights, class_names_of(data), training)
    weights = train_guard(data, fast, tuned, name)
    weights = replace(
        weights,
        info=weights.info | {"encoder_training": asdict(training), "seconds": round(time.perf_counter() - started)},
    )
    weights.save(out)
    return weights
