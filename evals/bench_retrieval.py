"""Retrieval benchmark: golden-set quality, query latency of the embedded store, ingest throughput.

Run from the repository root (about 1 minute on 2 cores):
    python -m evals.bench_retrieval
    python -m evals.bench_retrieval --synthetic 0        # skip the 100,000-chunk latency run
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from agent.settings import PACKAGED_CORPUS, Settings
from evals.retrieval import evaluate_golden, load_golden
from retrieval.chunking import Chunk
from retrieval.embeddings import load_retrieval_embedder
from retrieval.ingest import sync_corpus
from retrieval.retriever import Retriever
from retrieval.stores.local import LocalVectorStore

TOP_K = 3  # passages the banking node retrieves per question (BANKASSIST_RETRIEVAL_TOP_K)
# 1,000 synthetic chunks per synthetic document: one SQLite transaction each.
CHUNKS_PER_DOC = 1000
WORDS_PER_CHUNK = 150  # a real chunk is about 1,000 characters, about 150 words


def percentiles(samples_ms: list[float]) -> str:
    """p50 and p95 of a list of milliseconds."""
    return f"p50 {np.percentile(samples_ms, 50):.1f} ms, p95 {np.percentile(samples_ms, 95):.1f} ms"


def timed(call: Callable[..., object], *args: object) -> float:
    """Milliseconds one call takes."""
    start = time.perf_counter()
    call(*args)
    return (time.perf_counter() - start) * 1000


def bench_corpus(store: LocalVectorStore, retriever: Retriever, questions: list[str]) -> None:
    """Latency on the real corpus, with the encoder excluded (store only) and included (whole retrieval)."""
    vectors = retriever.embedder.embed(questions)
    store.search(questions[0], vectors[0], TOP_K, retriever.alpha)  # loads the index into memory
    pairs = zip(questions, vectors, strict=True)
    excluded = [timed(store.search, q, v, TOP_K, retriever.alpha) for q, v in pairs]
    included = [timed(retriever.retrieve, q, TOP_K) for q in questions]
    print(f"query latency, corpus ({store.count()} chunks), encoder excluded: {percentiles(excluded)}")
    print(f"query latency, corpus ({store.count()} chunks), encoder included: {percentiles(included)}")


def synthetic_store(path: Path, size: int, corpus_words: list[str], dim: int) -> LocalVectorStore:
    """`size` chunks of words drawn with the corpus's own word frequencies, and random unit vectors."""
    rng, store = np.random.default_rng(0), LocalVectorStore(path)
    sample = random.Random(0)
    for first in range(0, size, CHUNKS_PER_DOC):
        count = min(CHUNKS_PER_DOC, size - first)
        doc_id = f"synthetic-{first // CHUNKS_PER_DOC}"
        chunks = [
            Chunk(
                f"{doc_id}#{n}", doc_id, "Synthetic", "", " ".join(sample.choices(corpus_words, k=WORDS_PER_CHUNK)), "x"
            )
            for n in range(count)
        ]
        vectors = rng.standard_normal((count, dim)).astype(np.float32)
        store.replace_document(doc_id, chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    return store


def bench_synthetic(folder: Path, size: int, questions: list[str], vectors: np.ndarray, alpha: float) -> None:
    """Latency of hybrid search over `size` synthetic chunks (encoder excluded)."""
    words = " ".join(p.read_text(encoding="utf-8") for p in PACKAGED_CORPUS.glob("*.md")).split()
    start = time.perf_counter()
    store = synthetic_store(folder / "synthetic.db", size, words, vectors.shape[1])
    written = time.perf_counter() - start
    load = timed(store.search, questions[0], vectors[0], TOP_K, alpha) / 1000
    samples = [timed(store.search, q, v, TOP_K, alpha) for q, v in zip(questions, vectors, strict=True)]
    print(f"synthetic store: {size} chunks written in {written:.1f} s, loaded and BM25-indexed in {load:.1f} s")
    print(f"query latency, {size} synthetic chunks, encoder excluded: {percentiles(samples)}")
    store.close()


def main() -> None:
    """Print every retrieval figure the README quotes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=100_000, help="Synthetic chunks for the scale run; 0 skips.")
    args = parser.parse_args()
    settings = Settings()
    print(f"machine: {platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores")
    embedder = load_retrieval_embedder(settings.embedding_model, settings.retrieval_adapter)
    golden = load_golden()
    questions = [q.question for q in golden]
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalVectorStore(Path(tmp) / "index.db")
        start = time.perf_counter()
        report = sync_corpus(PACKAGED_CORPUS, store, embedder)
        seconds = time.perf_counter() - start
        print(f"ingest: {len(report.added)} documents, {report.chunks_embedded} chunks in {seconds:.1f} s = "
              f"{report.chunks_embedded / seconds:.0f} chunks/s (embedding included)")  # fmt: skip
        retriever = Retriever(store, embedder, settings.retrieval_alpha)
        metrics = evaluate_golden(retriever, golden).metrics()
        print(f"golden set ({len(golden)} questions, alpha {settings.retrieval_alpha:g}): "
              f"recall@5 {metrics['recall_at_5']:.3f}, MRR@10 {metrics['mrr']:.3f}")  # fmt: skip
        bench_corpus(store, retriever, questions)
        store.close()
        if args.synthetic:
            bench_synthetic(Path(tmp), args.synthetic, questions, embedder.embed(questions), settings.retrieval_alpha)


if __name__ == "__main__":
    main()
