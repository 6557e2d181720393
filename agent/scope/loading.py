"""Loading the scope guard from its weights: the fine-tuned encoder (full head) and the distilled table (fast head)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from agent.scope.features import StaticEmbedder, guard_lora, load_static_embedder, merge_adapter, static_table_key
from agent.scope.guard import ScopeGuard
from agent.scope.weights import ScopeWeights, load_weights
from agent.settings import Settings
from retrieval.bert_numpy import NumpyBertEmbedder
from retrieval.embeddings import (
    Encoder,
    SentenceTransformerEmbedder,
    load_embedder,
    load_sentence_transformer,
    numpy_bert_weights,
)


def build_guard(settings: Settings) -> ScopeGuard:
    """The trained scope guard, on the encoder its weights were trained with; no LLM."""
    assert settings.model_cache_dir is not None  # filled by the settings validator
    weights = load_weights(settings.scope_guard_path)
    return ScopeGuard(weights, *load_encoders(weights, settings.model_cache_dir))


def load_encoders(weights: ScopeWeights, cache_dir: Path) -> tuple[StaticEmbedder, Encoder]:
    """(fast, full): the static token table and the fine-tuned transformer the weights were trained with."""
    encoder = weights.info["encoder"]
    full = load_full_encoder(encoder, weights.adapter, weights.info.get("lora", {}))
    # The fast head reads token vectors distilled from the same fine-tuned encoder, so both heads agree.
    return load_static_embedder(full, cache_dir, static_table_key(encoder, weights.adapter)), full


def load_full_encoder(encoder: str, adapter: dict[str, np.ndarray], lora: dict[str, Any]) -> Encoder:
    """The base encoder with the guard's LoRA adapter; without an adapter, the shared one.

    On the numpy encoder the adapter is applied at run time over the weights retrieval shares; otherwise it is
    merged into a copy of the sentence-transformers model.
    """
    if not adapter:
        return load_embedder(encoder)
    numpy_bert, factors = numpy_bert_weights(encoder), guard_lora(adapter, lora)
    if numpy_bert is not None and factors is not None:
        return NumpyBertEmbedder(numpy_bert, *factors)
    return SentenceTransformerEmbedder(merge_adapter(load_sentence_transformer(encoder), adapter, lora))
