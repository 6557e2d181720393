"""Loading the scope guard from its weights: the fine-tuned encoder (full head) and the distilled table (fast head)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from agent.scope.features import StaticEmbedder, load_static_embedder, merge_adapter, static_table_key
from agent.scope.guard import ScopeGuard
from agent.scope.weights import ScopeWeights, load_weights
from agent.settings import Settings
from retrieval.embeddings import SentenceTransformerEmbedder, load_embedder, load_sentence_transformer


def build_guard(settings: Settings) -> ScopeGuard:
    """The trained scope guard, on the encoder its weights were trained with; no LLM."""
    assert settings.model_cache_dir is not None  # filled by the settings validator
    weights = load_weights(settings.scope_guard_path)
    return ScopeGuard(weights, *load_encoders(weights, settings.model_cache_dir))


def load_encoders(weights: ScopeWeights, cache_dir: Path) -> tuple[StaticEmbedder, SentenceTransformerEmbedder]:
    """(fast, full): the static token table and the fine-tuned transformer the weights were trained with."""
    encoder = weights.info["encoder"]
    full = load_full_encoder(encoder, weights.adapter, weights.info.get("lora", {}))
    # The fast head reads token vectors distilled from the same fine-tuned encoder, so both heads agree.
    return load_static_embedder(full.model, cache_dir, static_table_key(encoder, weights.adapter)), full


def load_full_encoder(
    encoder: str, adapter: dict[str, np.ndarray], lora: dict[str, Any]
) -> SentenceTransformerEmbedder:
    """The base encoder with the guard's LoRA adapter merged into its own copy; without an adapter, the shared one."""
    if not adapter:
        return load_embedder(encoder)
    return SentenceTransformerEmbedder(merge_adapter(load_sentence_transformer(encoder), adapter, lora))
