"""A BERT sentence encoder in numpy (all-MiniLM-L6-v2 and its LoRA adapters), so that a turn never imports torch.

sentence-transformers brings torch and transformers into the process: about 0.45 GiB and 3 s of imports before
any weights. This runs the same forward pass (embeddings, self-attention, exact GELU, LayerNorm, mean pooling,
unit length) on the same safetensors file and tokenizer. LoRA factors are applied at run time, so the scope
guard's encoder and the retrieval embedder share one copy of the base weights. Training stays on torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from tools.errors import ModelFilesError, first_line

LoraFactors = dict[str, tuple[np.ndarray, np.ndarray]]  # linear layer name -> (A: rank x in, B: out x rank)
BATCH_ROWS = 64  # as sentence-transformers encodes
ATTENTION_BUDGET = 8_000_000  # floats in one batch's attention scores (32 MB): long texts go in smaller batches


def supports_numpy_bert(model_dir: Path) -> bool:
    """Whether `model_dir` is a BERT sentence-transformers model with mean pooling and unit-length output."""
    try:
        config = json.loads((model_dir / "config.json").read_text())
        modules = json.loads((model_dir / "modules.json").read_text())
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        return False
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    return (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and kinds == ["Transformer", "Pooling", "Normalize"]
        and pooling.get("pooling_mode_mean_tokens") is True
        and not any(v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens")
        and (model_dir / "model.safetensors").exists()
        and (model_dir / "tokenizer.json").exists()
    )


@dataclass(frozen=True)
class BertWeights:
    """The base model's tensors by name, its shape facts and its tokenizer."""

    tensors: dict[str, np.ndarray]
    layers: int
    heads: int
    eps: float
    tokenizer: Any  # a `tokenizers.Tokenizer`, truncating at max_tokens, never padding

    @property
    def dim(self) -> int:
        """Width of the sentence vectors."""
        return int(self.tensors["embeddings.word_embeddings.weight"].shape[1])


@lru_cache(maxsize=2)
def load_bert_weights(model_dir: str) -> BertWeights:
    """Read the weights and tokenizer once per process; every encoder on this base shares them."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    folder = Path(model_dir)
    try:
        config = json.loads((folder / "config.json").read_text())
        settings = json.loads((folder / "sentence_bert_config.json").read_text())
        tensors = {
            name.removeprefix("bert."): t.astype(np.float32, copy=False)
            for name, t in load_file(folder / "model.safetensors").items()
        }
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        weights = BertWeights(
            tensors,
            int(config["num_hidden_layers"]),
            int(config["num_attention_heads"]),
            float(config["layer_norm_eps"]),
            tokenizer,
        )
        max_tokens = min(int(settings["max_seq_length"]), int(config["max_position_embeddings"]))
        missing = [name for name in required_tensors(weights.layers) if name not in tensors]
    except Exception as exc:  # safetensors and tokenizers raise bare Exception subclasses for a damaged file
        raise ModelFilesError(f"Cannot load the encoder in {folder}: {first_line(exc)}") from exc
    if missing:
        raise ModelFilesError(f"Cannot load the encoder in {folder}: it has no tensor {missing[0]!r}.")
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_tokens)
    return weights


def required_tensors(layers: int) -> list[str]:
    """The tensors the forward pass reads."""
    embeddings = ["word_embeddings", "position_embeddings", "token_type_embeddings"]
    names = [f"embeddings.{part}.weight" for part in embeddings]
    names += ["embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"]
    attention = ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"]
    parts = [*attention, "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"]
    return names + [
        f"encoder.layer.{n}.{p}.{kind}" for n in range(layers) for p in parts for kind in ("weight", "bias")
    ]


@dataclass
class NumpyBertEmbedder:
    """Sentence vectors from a BERT model in numpy, with optional LoRA factors added to its linear layers."""

    weights: BertWeights
    lora: LoraFactors = field(default_factory=dict)
    scaling: float = 1.0
    fingerprint: str = ""

    def __post_init__(self) -> None:
        """An adapter trained on another encoder is a one-line error, not a shape error mid-turn."""
        for name, (a, b) in self.lora.items():
            weight = self.weights.tensors.get(f"{name}.weight")
            if weight is None or weight.shape != (b.shape[0], a.shape[1]) or a.shape[0] != b.shape[1]:
                raise ModelFilesError(f"The LoRA adapter does not fit the encoder: layer {name!r}")

    def special_ids(self) -> tuple[int | None, int | None, int]:
        """([CLS] id, [SEP] id, vocabulary size): what distilling a token table needs."""
        tokenizer = self.weights.tokenizer
        return tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]"), tokenizer.get_vocab_size()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length mean-pooled vectors, in batches of similar length (as sentence-transformers does)."""
        ids = self.token_ids(texts, special_tokens=True)
        out = np.zeros((len(texts), self.weights.dim), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        start = 0
        while start < len(order):
            longest = len(ids[order[start]])
            rows = max(1, min(BATCH_ROWS, ATTENTION_BUDGET // (self.weights.heads * longest * longest)))
            batch = order[start : start + rows]
            out[batch] = self._pooled([ids[i] for i in batch])
            start += rows
        return out

    def token_ids(self, texts: list[str], *, special_tokens: bool) -> list[list[int]]:
        """Each text's token ids, truncated at the model's maximum length."""
        return [e.ids for e in self.weights.tokenizer.encode_batch(texts, add_special_tokens=special_tokens)]

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last layer's (batch, tokens, dim) output for padded ids; `mask` is 1 on real tokens."""
        t = self.weights.tensors
        x = t["embeddings.word_embeddings.weight"][ids] + t["embeddings.position_embeddings.weight"][: ids.shape[1]]
        x = self._norm(x + t["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
        blocked = np.where(mask[:, None, None, :] > 0, 0.0, np.finfo(np.float32).min).astype(np.float32)
        for layer in range(self.weights.layers):
            x = self._layer(x, blocked, f"encoder.layer.{layer}")
        return x

    def _pooled(self, batch: list[list[int]]) -> np.ndarray:
        width = max(1, max(len(row) for row in batch))
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.float32)
        for i, row in enumerate(batch):
            ids[i, : len(row)], mask[i, : len(row)] = row, 1.0
        hidden = self.hidden_states(ids, mask)
        summed = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(summed, axis=1, keepdims=True)
        return summed / np.maximum(norms, 1e-12)

    def _layer(self, x: np.ndarray, blocked: np.ndarray, name: str) -> np.ndarray:
        attended = self._attention(x, blocked, f"{name}.attention.self")
        x = self._norm(
            x + self._linear(attended, f"{name}.attention.output.dense"), f"{name}.attention.output.LayerNorm"
        )
        inner = _gelu(self._linear(x, f"{name}.intermediate.dense"))
        return self._norm(x + self._linear(inner, f"{name}.output.dense"), f"{name}.output.LayerNorm")

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        """LayerNorm over the last axis."""
        centred = x - x.mean(axis=-1, keepdims=True)
        variance = (centred * centred).mean(axis=-1, keepdims=True)
        t = self.weights.tensors
        return centred / np.sqrt(variance + np.float32(self.weights.eps)) * t[f"{name}.weight"] + t[f"{name}.bias"]

    def _attention(self, x: np.ndarray, blocked: np.ndarray, name: str) -> np.ndarray:
        batch, tokens, dim = x.shape
        heads = self.weights.heads

        def split(part: str) -> np.ndarray:
            return self._linear(x, f"{name}.{part}").reshape(batch, tokens, heads, dim // heads).transpose(0, 2, 1, 3)

        q, k, v = split("query"), split("key"), split("value")
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(dim // heads)) + blocked
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        return (scores @ v).transpose(0, 2, 1, 3).reshape(batch, tokens, dim)

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        """X W^T + b (+ scaling x A^T B^T), as one matrix product over every token of the batch."""
        t = self.weights.tensors
        flat = x.reshape(-1, x.shape[-1])
        y = flat @ t[f"{name}.weight"].T
        y += t[f"{name}.bias"]
        if name in self.lora:
            a, b = self.lora[name]
            y += np.float32(self.scaling) * ((flat @ a.T) @ b.T)
        return y.reshape(*x.shape[:-1], y.shape[-1])


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, 0.5 x (1 + erf(x / sqrt 2))."""
    return np.float32(0.5) * x * (np.float32(1.0) + _erf(x * np.float32(1 / np.sqrt(2))))


def _erf(x: np.ndarray) -> np.ndarray:
    """Scipy's float32 erf: numpy has none, and torch's is what this module exists to avoid."""
    from scipy.special import erf

    return erf(x)
