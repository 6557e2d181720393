"""Vectors of fixed texts (labelled examples, questions written for the corpus), embedded once per cache.

Embedding a few thousand short texts takes seconds to half a minute on 2 cores; every process that needs
them would pay it at start. With a cache folder (and an embedder that names its weights) the vectors are
kept there, keyed by the weights and the texts, so a changed file or adapter is embedded afresh. Each edit
of a text file would otherwise leave its old vectors behind (15 MB for the units' questions), so only the
KEEP most recently used files of a name stay.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np

from retrieval.embeddings import Embedder
from tools.files import replaced_atomically

KEEP = 2  # per name: the vectors in use and the ones before them (switching back costs no re-embedding)
KEY_HEX = 12  # hex digits of the key in a file's name, `<name>-<key>.npy`


def embedded_once(embedder: Embedder, texts: list[str], cache_dir: Path | None, name: str) -> np.ndarray:
    """The texts' vectors: read from `cache_dir` when they are there, else embedded (and saved there)."""
    return vectors_and_origin(embedder, texts, cache_dir, name)[0]


def vectors_and_origin(
    embedder: Embedder, texts: list[str], cache_dir: Path | None, name: str
) -> tuple[np.ndarray, bool]:
    """`embedded_once`'s vectors, and whether they were read from the cache (False: embedded just now)."""
    cached = vectors_path(cache_dir, embedder, texts, name)
    if cached is not None and (vectors := read_cached(cached, len(texts))) is not None:
        return vectors, True
    vectors = embedder.embed(texts)
    if cached is not None:
        with replaced_atomically(cached) as out:
            np.save(out, vectors)
        prune(cached.parent, name)
    return vectors, False


def read_cached(path: Path, rows: int) -> np.ndarray | None:
    """The cached vectors, marked as just used; None when there are none (or another process just pruned them).

    None too for a file that does not read (cut short, not an array) or holds another number of rows than there
    are texts: the texts are embedded again and the file replaced, rather than a start-up failing on it.
    """
    try:
        vectors = np.load(path)
    except (OSError, ValueError, EOFError):
        return None
    if vectors.ndim != 2 or len(vectors) != rows:
        return None
    with contextlib.suppress(OSError):  # another user's file in a shared cache: readable, not ours to touch
        os.utime(path)
    return vectors


def prune(cache_dir: Path, name: str) -> None:
    """Remove all but the KEEP most recently used vector files of `name`."""
    # Exactly `name-<key>`: another name that starts with this one ("fees" and "fees-schedule") is not ours.
    own = [
        p for p in cache_dir.glob(f"{name}-*.npy") if re.fullmatch(f"[0-9a-f]{{{KEY_HEX}}}", p.stem[len(name) + 1 :])
    ]
    files = sorted(own, key=used_at, reverse=True)
    for stale in files[KEEP:]:
        with contextlib.suppress(OSError):  # two processes pruning at once, or another user's file
            stale.unlink()


def used_at(path: Path) -> float:
    """When the file was last written or read through `read_cached` (0 once it is gone)."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def vectors_path(cache_dir: Path | None, embedder: Embedder, texts: list[str], name: str) -> Path | None:
    """Where these texts' vectors from this embedder are cached; None when it does not name its weights."""
    fingerprint = str(getattr(embedder, "fingerprint", ""))
    if cache_dir is None or not fingerprint:
        return None
    # JSON, not the texts joined by newlines: passages hold newlines, and ["a\nb"] must not be keyed as ["a", "b"].
    key = hashlib.sha1(json.dumps([fingerprint, *texts]).encode()).hexdigest()[:KEY_HEX]
    return cache_dir / f"{name}-{key}.npy"
