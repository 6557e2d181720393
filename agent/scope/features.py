"""The scope guard's encoders: token-mean static embeddings, and the transformer with its LoRA adapter."""

from __future__ import annotations

import hashlib
import logging
import warnings
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from retrieval.bert_numpy import LoraFactors
from tools.errors import ConfigurationError, ModelFilesError
from tools.files import replaced_atomically

log = logging.getLogger(__name__)


class TokenEncoder(Protocol):
    """The encoder the fast head's token table is distilled from (numpy BERT, or sentence-transformers)."""

    def token_ids(self, texts: list[str], *, special_tokens: bool) -> list[list[int]]:
        """Each text's token ids, truncated at the model's maximum length."""
        ...

    def special_ids(self) -> tuple[int | None, int | None, int]:
        """([CLS] id, [SEP] id, vocabulary size)."""
        ...

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last layer's (batch, tokens, dim) output."""
        ...


class StaticEmbedder:
    """Mean of per-token vectors distilled from a sentence-transformers model (Model2Vec's idea)."""

    # About 100x faster than running the transformer and a little less accurate: the guard's first stage.

    def __init__(self, encoder: TokenEncoder, table: np.ndarray) -> None:
        """Keep the encoder (for its tokenizer) and the (vocab, dim) table, centred so common tokens do not dominate."""
        self._encoder = encoder
        # Kept in float16 (23 MB, not 47): each text's mean is taken in float32 (`eval --suite scope` unchanged).
        centred = table.astype(np.float32, copy=False)
        centred -= centred.mean(axis=0)
        self._table = centred.astype(np.float16)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length mean token vector of each text (zeros for a text with no tokens)."""
        # Truncated like the transformer's input, so both heads read the same part of a very long message.
        ids = self._encoder.token_ids(texts, special_tokens=False)
        vectors = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        for row, token_ids in enumerate(ids):
            if token_ids:
                vectors[row] = self._table[token_ids].mean(axis=0, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


def static_table_key(model_name: str, adapter: dict[str, np.ndarray]) -> str:
    """Names the encoder a token table is distilled from: the model, and the LoRA adapter merged into it."""
    if not adapter:
        return model_name
    digest = hashlib.sha1()
    for name in sorted(adapter):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(adapter[name], dtype=np.float16).tobytes())
    return f"{model_name}+lora:{digest.hexdigest()[:16]}"


def static_table_path(cache_dir: Path, table_key: str) -> Path:
    """Where the token table of the encoder named by `table_key` is cached."""
    return cache_dir / f"static-{hashlib.sha1(table_key.encode()).hexdigest()[:12]}.npy"


def load_static_embedder(encoder: TokenEncoder, cache_dir: Path, table_key: str) -> StaticEmbedder:
    """Distil the token table once per encoder (about 30 s on 2 cores) and cache it beside the converted models."""
    path = static_table_path(cache_dir, table_key)
    if path.exists():
        return StaticEmbedder(encoder, np.load(path))
    log.info("Distilling static token vectors from %s (one time)", table_key)
    table = distil_token_table(encoder)
    with replaced_atomically(path) as out:  # two servers distilling at once never share a half-written table
        np.save(out, table)
    return StaticEmbedder(encoder, table)


def distil_token_table(encoder: TokenEncoder, batch: int = 1024) -> np.ndarray:
    """Run every vocabulary token through the transformer alone ([CLS] token [SEP]) and mean-pool."""
    cls_id, sep_id, size = encoder.special_ids()
    if cls_id is None or sep_id is None:
        raise ConfigurationError(
            "The scope guard needs a BERT-style encoder ([CLS]/[SEP] tokens), such as all-MiniLM-L6-v2."
        )
    table: np.ndarray | None = None
    for start in range(0, size, batch):
        ids = np.arange(start, min(size, start + batch), dtype=np.int64)
        inputs = np.stack([np.full_like(ids, cls_id), ids, np.full_like(ids, sep_id)], axis=1)
        hidden = encoder.hidden_states(inputs, np.ones(inputs.shape, dtype=np.float32)).mean(axis=1)
        if table is None:
            table = np.zeros((size, hidden.shape[1]), dtype=np.float32)
        table[start : start + len(ids)] = hidden
    assert table is not None  # a tokenizer has at least one token
    return table


def guard_lora(adapter: dict[str, np.ndarray], lora: dict[str, Any]) -> tuple[LoraFactors, float] | None:
    """The guard's peft adapter as (layer -> (A, B), scaling) for the numpy encoder; None for a variant it lacks."""
    if lora.get("use_rslora") or lora.get("use_dora"):
        return None
    factors: LoraFactors = {}
    for key, tensor in adapter.items():
        name, _, part = key.removeprefix("base_model.model.").rpartition(".lora_")
        if part not in ("A.weight", "B.weight"):
            raise ModelFilesError(f"The scope guard's adapter does not fit its encoder: {key}")
        a, b = factors.get(name, (np.empty(0), np.empty(0)))
        factors[name] = (tensor.astype(np.float32), b) if part == "A.weight" else (a, tensor.astype(np.float32))
    return factors, float(lora["lora_alpha"]) / float(lora["r"])


def merge_adapter(model: Any, adapter: dict[str, np.ndarray], lora: dict[str, Any]) -> Any:
    """Merge the guard's LoRA adapter into `model` (a fresh SentenceTransformer, changed in place)."""
    import torch
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict

    with warnings.catch_warnings():  # peft asks transformers a deprecated question; not ours to fix
        warnings.simplefilter("ignore", FutureWarning)
        encoder = get_peft_model(model[0].auto_model, LoraConfig(**lora))
    loaded: Any = set_peft_model_state_dict(encoder, {name: torch.from_numpy(t) for name, t in adapter.items()})
    if loaded.unexpected_keys:  # an adapter trained on another encoder
        raise ModelFilesError(f"The scope guard's adapter does not fit its encoder: {loaded.unexpected_keys[0]}")
    model[0].auto_model = encoder.merge_and_unload().eval()
    return model
