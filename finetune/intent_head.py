"""The guard's intent head: which BANKING77 intent a banking message is, once the cascade has routed it.

A multinomial logistic regression over the tuned encoder's sentence embedding followed by the fast head's
static one, fitted on the BANKING77 queries the guard trains on (its held-out slice stays out). It comes with
every `bankassist train-guard` run, and `train-guard --intent-only` fits it onto saved weights alone.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from agent.scope.loading import load_encoders
from agent.scope.weights import IntentHead, LinearHead, ScopeWeights, load_weights
from agent.settings import Settings
from retrieval.embeddings import Embedder
from tools.datasets import LabeledQuery, banking77_train, cap_per_class, require_data_dir, split_banking77

PREFIX = "banking77:"
# Chosen on a stratified tenth of the training queries, never the held-out slice: validation accuracy
# 0.922 at C=10, 0.918 at 30, 0.919 at 100 (the transformer's vector alone: 0.917 at 10).
INTENT_C = 10.0


def fit_intent_head(queries: list[LabeledQuery], full: Embedder, fast: Embedder, class_names: list[str]) -> IntentHead:
    """Fit the head on the BANKING77 queries among `queries`; its rows follow the guard's class order."""
    from sklearn.linear_model import LogisticRegression

    intents = [q for q in queries if q.label.startswith(PREFIX)]
    texts = [q.text for q in intents]
    features = np.hstack([full.embed(texts), fast.embed(texts)])
    model = LogisticRegression(C=INTENT_C, max_iter=3000).fit(features, [q.label for q in intents])
    columns = np.array([class_names.index(str(name)) for name in model.classes_])
    weights, bias = model.coef_, model.intercept_
    if len(columns) == 2:  # sklearn keeps one row for two classes; a softmax over [0, row] is the same model
        weights, bias = np.vstack([np.zeros_like(weights), weights]), np.r_[0.0, bias]
    return IntentHead(LinearHead(weights.astype(np.float32), bias.astype(np.float32)), columns)


def with_intent_head(
    weights: ScopeWeights, queries: list[LabeledQuery], full: Embedder, fast: Embedder
) -> ScopeWeights:
    """The weights with an intent head fitted on `queries`, and a note of it in their info."""
    class_names = [str(name) for name in weights.class_names]
    intent = fit_intent_head(queries, full, fast, class_names)
    note = {"features": "full embedding + static embedding", "C": INTENT_C, "intents": len(intent.columns)}
    return replace(weights, intent=intent, info=weights.info | {"intent_head": note})


def refit_intent_head(settings: Settings, source: Path, out: Path, max_per_class: int | None = None) -> ScopeWeights:
    """What `train-guard --intent-only` runs: saved weights get a new intent head, and nothing else changes.

    It learns from the BANKING77 queries the weights were trained on (their held-out slice stays out);
    `max_per_class` keeps the first N of each intent, for quick runs.
    """
    assert settings.model_cache_dir is not None  # filled by the settings validator
    weights = load_weights(source)
    fast, full = load_encoders(weights, settings.model_cache_dir)
    held = weights.info.get("banking77_held_out") or {}
    banking77 = banking77_train(require_data_dir(settings.external_data_dir))
    kept, _ = split_banking77(banking77, float(held.get("share") or 0.0), int(held.get("seed") or 0))
    weights = with_intent_head(weights, cap_per_class(kept, max_per_class), full, fast)
    weights.save(out)
    return weights
