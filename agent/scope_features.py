"""Cheap text features for the scope guard: token-mean static embeddings and hashed character n-grams."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from retrieval.embeddings import Embedder
from tools.errors import ConfigurationError

log = logging.getLogger(__name__)
NGRAM_FEATURES = 2**13  # hashed character 2-4-grams; typos still share most of them
NGRAM_RANGE = (2, 4)
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


def load_static_embedder(model: Any, cache_dir: Path, model_name: str) -> StaticEmbedder:
    """Distil the token table once (about 35 s on 2 cores) and cache it beside the converted models."""
    path = cache_dir / f"static-{hashlib.sha1(model_name.encode()).hexdigest()[:12]}.npy"
    if path.exists():
        return StaticEmbedder(model.tokenizer, np.load(path))
    log.info("Distilling static token vectors from %s (one time)", model_name)
    table = distil_token_table(model)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, table)
    tmp.replace(path)  # atomic: a killed run never leaves half a table
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


class CharNgrams:
    """Sublinear TF-IDF over hashed character n-grams, l2-normalised; the IDF comes from training."""

    def __init__(self, idf: np.ndarray) -> None:
        """Use a fitted IDF vector of length NGRAM_FEATURES."""
        self.idf = idf.astype(np.float32)

    @staticmethod
    def counts(texts: list[str]) -> sparse.csr_matrix:
        """Raw hashed n-gram counts."""
        from sklearn.feature_extraction.text import HashingVectorizer

        vectorizer = HashingVectorizer(
            analyzer="char_wb", ngram_range=NGRAM_RANGE, n_features=NGRAM_FEATURES, alternate_sign=False, norm=None
        )
        return vectorizer.transform([text.lower() for text in texts]).tocsr()

    @classmethod
    def fit(cls, texts: list[str]) -> CharNgrams:
        """Smoothed IDF, as scikit-learn computes it."""
        document_frequency = np.bincount(cls.counts(texts).indices, minlength=NGRAM_FEATURES)
        return cls(np.log((1 + len(texts)) / (1 + document_frequency)) + 1)

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        """TF-IDF rows of unit length."""
        matrix = self.counts(texts).astype(np.float32)
        matrix.data = 1 + np.log(matrix.data)
        matrix = matrix.multiply(self.idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
        return sparse.diags(1 / np.where(norms == 0, 1, norms)) @ matrix


def full_features(encoder: Embedder, ngrams: CharNgrams, texts: list[str]) -> sparse.csr_matrix:
    """The full head's input: the sentence embedding beside the character n-grams."""
    dense = sparse.csr_matrix(encoder.embed(texts))
    return sparse.hstack([dense, ngrams.transform(texts)]).tocsr()
