"""The scope guard's encoders: token-mean static embeddings, and the transformer with its LoRA adapter."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from tools.errors import ConfigurationError, ModelFilesError

log = logging.getLogger(__name__)
MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length


class StaticEmbedder:
    """Mean of per-token vectors distilled from a sentence-transformers model (Model2Vec's idea)."""

    # About 100x faster than running the transformer and a little less accurate: the guard's first stage.

    def __init__(self, tokenizer: Any, table: np.ndarray) -> None:
        """Keep the tokenizer and the (vocab, dim) table, centred so common tokens do not dominate."""
        self._tokenizer = tokenizer
        self._table = (table - table.mean(axis=0)).astype(np.float32)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length mean token vector of each text (zeros for a text with no tokens)."""
        # Truncate like the transformer does, so both heads read the same part of a very long message.
        ids = self._tokenizer(texts, add_special_tokens=False, truncation=True, max_length=MAX_TOKENS)["input_ids"]
        vectors = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        for row, token_ids in enumerate(ids):
            if token_ids:
                vectors[row] = self._table[token_ids].mean(axis=0)
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


def load_static_embedder(model: Any, cache_dir: Path, table_key: str) -> StaticEmbedder:
    """Distil the token table once per encoder (about 30 s on 2 cores) and cache it beside the converted models."""
    path = static_table_path(cache_dir, table_key)
    if path.exists():
        return StaticEmbedder(model.tokenizer, np.load(path))
    log.info("Distilling static token vectors from %s (one time)", table_key)
    table = distil_token_table(model)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # A name of its own: two processes distilling at once (two servers starting) never share a half-written file.
    with tempfile.NamedTemporaryFile(dir=cache_dir, prefix=f".{path.stem}-", suffix=".npy", delete=False) as tmp:
        np.save(tmp, table)
    os.chmod(tmp.name, 0o644)  # as np.save would leave it: other users of a shared cache may read it
    Path(tmp.name).replace(path)  # atomic: a killed run never leaves half a table
    return StaticEmbedder(model.tokenizer, table)


def distil_token_table(model: Any, batch: int = 1024) -> np.ndarray:
    """Run every vocabulary token through the transformer alone ([CLS] token [SEP]) and mean-pool."""
    import torch

    tokenizer, transformer = model.tokenizer, model[0].auto_model.eval()
    if tokenizer.cls_token_id is None or tokenizer.sep_token_id is None:
        raise ConfigurationError(
            "The scope guard needs a BERT-style encoder ([CLS]/[SEP] tokens), such as all-MiniLM-L6-v2."
        )
    size = len(tokenizer)
    table = np.zeros((size, transformer.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, size, batch):
            ids = torch.arange(start, min(size, start + batch))
            inputs = torch.stack(
                [torch.full_like(ids, tokenizer.cls_token_id), ids, torch.full_like(ids, tokenizer.sep_token_id)], 1
            )
            hidden = transformer(input_ids=inputs, attention_mask=torch.ones_like(inputs)).last_hidden_state
            table[start : start + len(ids)] = hidden.mean(dim=1).numpy()
    return table


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
