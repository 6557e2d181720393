"""Vectors of fixed texts (labelled examples, questions written for the corpus), embedded once per cache.

Embedding a few thousand short texts takes seconds to half a minute on 2 cores; every process that needs
them would pay it at start. With a cache folder (and an embedder that names its weights) the vectors are
kept there, keyed by the weights and the texts, so a changed file or adapter is embedded afresh.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from retrieval.embeddings import Embedder
from tools.files import replaced_atomically


def embedded_once(embedder: Embedder, texts: list[str], cache_dir: Path | None, name: str) -> np.ndarray:
    """The texts' vectors: read from `cache_dir` when they are there, else embedded (and saved there)."""
    cached = vectors_path(cache_dir, embedder, texts, name)
    if cached is not None and cached.exists():
        return np.load(cached)
    vectors = embedder.embed(texts)
    if cached is not None:
        with replaced_atomically(cached) as out:
            np.save(out, vectors)
    return vectors


def vectors_path(cache_dir: Path | None, embedder: Embedder, texts: list[str], name: str) -> Path | None:
    """Where these texts' vectors from this embedder are cached; None when it does not name its weights."""
    fingerprint = str(getattr(embedder, "fingerprint", ""))
    if cache_dir is None or not fingerprint:
        return None
    key = hashlib.sha1("\n".join([fingerprint, *texts]).encode()).hexdigest()[:12]
    return cache_dir / f"{name}-{key}.npy"
