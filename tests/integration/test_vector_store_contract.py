"""One retrieval contract, run against every vector store: the embedded one always, Weaviate when it is reachable.

Run it against a real Weaviate (see the README):
    docker run -d -p 8080:8080 -p 50051:50051 cr.weaviate.io/semitechnologies/weaviate:1.33.0
    BANKASSIST_WEAVIATE_URL=http://localhost:8080 python -m pytest tests/integration/test_vector_store_contract.py
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import pytest

from agent.settings import PACKAGED_CORPUS
from retrieval.embeddings import DEFAULT_EMBEDDING_MODEL, load_embedder
from retrieval.ingest import sync_corpus
from retrieval.retriever import Retriever
from retrieval.stores import VectorStore, WeaviateOptions, open_store
from tests.fakes import FakeEmbedder
from tests.unit.test_corpus import write_doc

# Read at import: the autouse settings fixture clears BANKASSIST_* variables before each test.
WEAVIATE_URL = os.environ.get("BANKASSIST_WEAVIATE_URL")
WEAVIATE_API_KEY = os.environ.get("BANKASSIST_WEAVIATE_API_KEY")
WEAVIATE_GRPC_PORT = int(os.environ.get("BANKASSIST_WEAVIATE_GRPC_PORT", "50051"))
NO_WEAVIATE = (
    "BANKASSIST_WEAVIATE_URL is not set: no Weaviate server is reachable in this sandbox "
    "(start one with the README's docker run line and set the URL to run this suite against it)"
)
STORES = ["local", pytest.param("weaviate", marks=pytest.mark.skipif(not WEAVIATE_URL, reason=NO_WEAVIATE))]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty store of each kind; Weaviate gets a throwaway collection that is dropped afterwards."""
    collection = f"BankassistContract{uuid.uuid4().hex[:12]}"
    options = WeaviateOptions(WEAVIATE_URL, WEAVIATE_API_KEY, WEAVIATE_GRPC_PORT, collection)
    opened = open_store(request.param, tmp_path / "data", options)
    yield opened
    if request.param == "weaviate":
        opened.drop()  # type: ignore[attr-defined]
    opened.close()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_doc(folder, "wires", "Wire Transfers", "\n## Cut-off\n\nInternational wires leave by 2 p.m. SWIFT code.\n")
    write_doc(folder, "cards", "Lost Cards", "\n## Replacement\n\nA replacement card arrives in 5 business days.\n")
    write_doc(folder, "cds", "Certificates of Deposit", "\n## Penalty\n\nEarly withdrawal costs 90 days of interest.\n")
    return folder


def search(store: VectorStore, embedder: FakeEmbedder, query: str, k: int = 3, alpha: float = 0.5):
    return store.search(query, embedder.embed([query])[0], k, alpha)


def test_a_second_sync_changes_nothing_and_edits_and_deletes_are_applied(store, corpus):
    embedder = FakeEmbedder()
    first = sync_corpus(corpus, store, embedder)
    assert sorted(first.added) == ["cards", "cds", "wires"] and store.count() == 9

    assert not sync_corpus(corpus, store, embedder).changed

    write_doc(corpus, "cards", "Lost Cards", "\n## Replacement\n\nA replacement card arrives in 2 business days.\n")
    (corpus / "cds.md").unlink()
    third = sync_corpus(corpus, store, embedder)
    assert third.updated == ["cards"] and third.removed == ["cds"] and not third.added
    assert set(store.indexed_documents()) == {"cards", "wires"} and store.count() == 6
    assert "2 business days" in search(store, embedder, "replacement card arrives")[0].chunk.text


def test_hits_round_trip_the_chunk_and_rank_by_the_fused_score(store, corpus):
    embedder = FakeEmbedder()
    sync_corpus(corpus, store, embedder)
    hits = search(store, embedder, "When do international wires leave?")
    top = hits[0].chunk
    assert (top.doc_id, top.title, top.heading) == ("wires", "Wire Transfers", "Cut-off")
    assert top.text.startswith("Wire Transfers - Cut-off\n") and top.doc_hash == store.indexed_documents()["wires"]
    assert [h.rank_score for h in hits] == sorted((h.rank_score for h in hits), reverse=True)
    assert all(-1.0 <= h.score <= 1.0 for h in hits)


def test_keyword_only_search_finds_an_exact_term_the_vectors_do_not_know(store, corpus):
    embedder = FakeEmbedder()
    sync_corpus(corpus, store, embedder)
    unrelated_vector = np.eye(1, embedder.embed(["x"]).shape[1], 7, dtype=np.float32)[0]
    hits = store.search("SWIFT", unrelated_vector, 1, 0.0)
    assert hits[0].chunk.doc_id == "wires"


def test_vector_only_search_ranks_by_cosine(store, corpus):
    embedder = FakeEmbedder()
    sync_corpus(corpus, store, embedder)
    hits = search(store, embedder, "early withdrawal interest penalty", k=6, alpha=1.0)
    assert hits[0].chunk.doc_id == "cds"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_an_ingest_interrupted_between_documents_ends_like_an_uninterrupted_one(store, corpus, tmp_path):
    class CrashingEmbedder(FakeEmbedder):
        def embed(self, texts):
            if len(self.calls) == 1:
                raise KeyboardInterrupt  # the user pressed Ctrl-C during the second document
            return super().embed(texts)

    with pytest.raises(KeyboardInterrupt):
        sync_corpus(corpus, store, CrashingEmbedder())
    resumed = sync_corpus(corpus, store, FakeEmbedder())
    assert len(resumed.added) == 2 and resumed.unchanged == 1

    reference = open_store("local", tmp_path / "reference")
    sync_corpus(corpus, reference, FakeEmbedder())
    assert store.indexed_documents() == reference.indexed_documents() and store.count() == reference.count()
    reference.close()


def test_an_empty_store_returns_no_hits(store):
    assert search(store, FakeEmbedder(), "anything") == [] and store.count() == 0


def test_real_embeddings_find_the_policy_that_answers(store):
    embedder = load_embedder(DEFAULT_EMBEDDING_MODEL)
    sync_corpus(PACKAGED_CORPUS, store, embedder)
    retriever = Retriever(store, embedder, alpha=0.5)
    assert retriever.retrieve("how much does it cost to send an international wire?", 3)[0].id == "wire-transfers"
    assert "lost-stolen-cards" in [d.id for d in retriever.retrieve("how do i report a stolen debit card", 3)]
