import logging
from pathlib import Path

import pytest

from agent.settings import PACKAGED_CORPUS
from retrieval.chunking import chunk_document
from retrieval.documents import DocumentError, load_corpus, parse_document
from retrieval.ingest import sync_corpus
from retrieval.stores.local import LocalVectorStore
from tests.fakes import FakeEmbedder
from tools.errors import InvalidInputError

DOC = """---
id: {id}
title: {title}
category: accounts
effective_date: 2026-01-01
---
# {title}

Intro paragraph.

## Fees

The fee is $5.
"""


def write_doc(folder: Path, doc_id: str, title: str = "A Title", extra: str = "") -> Path:
    path = folder / f"{doc_id}.md"
    path.write_text(DOC.format(id=doc_id, title=title) + extra)
    return path


def test_the_packaged_corpus_parses_with_front_matter():
    documents = load_corpus(PACKAGED_CORPUS)
    assert len(documents) >= 8
    assert len({d.id for d in documents}) == len(documents)
    for doc in documents:
        words = len(doc.body.split())
        assert 200 <= words <= 800, (doc.id, words)


def test_malformed_front_matter_is_named_and_skipped(tmp_path, caplog):
    write_doc(tmp_path, "good")
    (tmp_path / "broken.md").write_text("---\nid: [unclosed\n---\nbody")
    (tmp_path / "no-title.md").write_text("---\nid: x\ncategory: c\neffective_date: 2026-01-01\n---\nbody")
    with caplog.at_level(logging.WARNING):
        documents = load_corpus(tmp_path)
    assert [d.id for d in documents] == ["good"]
    assert "broken.md" in caplog.text and "no-title.md: front matter lacks title" in caplog.text


def test_missing_front_matter_raises_a_named_error(tmp_path):
    path = tmp_path / "plain.md"
    path.write_text("# Just markdown")
    with pytest.raises(DocumentError, match="plain.md"):
        parse_document(path)


def test_chunks_follow_headings_and_carry_the_title(tmp_path):
    doc = parse_document(write_doc(tmp_path, "d1", "Fee Guide"))
    chunks = chunk_document(doc)
    assert [c.heading for c in chunks] == ["Fee Guide", "Fees"]
    assert chunks[1].text.startswith("Fee Guide - Fees\n")
    assert [c.id for c in chunks] == ["d1#0", "d1#1"]


def test_long_sections_split_with_one_paragraph_of_overlap(tmp_path):
    paragraphs = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(6))
    doc = parse_document(write_doc(tmp_path, "long", extra=f"\n## Long\n\n{paragraphs}\n"))
    pieces = [c.text for c in chunk_document(doc, max_chars=700) if c.heading == "Long"]
    assert len(pieces) >= 2
    last_of_first = pieces[0].split("\n\n")[-1]
    assert pieces[1].split("\n", 1)[1].startswith(last_of_first)


def test_ingest_is_incremental(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a")
    write_doc(corpus, "b")
    store, embedder = LocalVectorStore(tmp_path / "index.db"), FakeEmbedder()

    first = sync_corpus(corpus, store, embedder)
    assert sorted(first.added) == ["a", "b"] and first.chunks_embedded == 4

    second = sync_corpus(corpus, store, embedder)
    assert not second.changed and second.unchanged == 2 and second.chunks_embedded == 0

    write_doc(corpus, "a", title="Edited")
    (corpus / "b.md").unlink()
    third = sync_corpus(corpus, store, embedder)
    assert third.updated == ["a"] and third.removed == ["b"]
    assert set(store.indexed_documents()) == {"a"}
    assert store.search("Edited fees", embedder.embed(["Edited fees"])[0], 1, 1.0)[0].chunk.title == "Edited"


def test_a_file_that_stops_parsing_keeps_its_indexed_version(tmp_path, caplog):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a")
    write_doc(corpus, "b")
    store, embedder = LocalVectorStore(tmp_path / "index.db"), FakeEmbedder()
    sync_corpus(corpus, store, embedder)
    (corpus / "b.md").write_text("---\nid: [broken\n---\nbody")
    with caplog.at_level(logging.WARNING):
        report = sync_corpus(corpus, store, embedder)
    assert "b.md" in caplog.text and report.removed == [] and set(store.indexed_documents()) == {"a", "b"}


def test_an_empty_corpus_is_an_error_and_leaves_the_index_alone(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a")
    store, embedder = LocalVectorStore(tmp_path / "index.db"), FakeEmbedder()
    sync_corpus(corpus, store, embedder)
    (corpus / "a.md").unlink()
    with pytest.raises(InvalidInputError, match="No valid policy documents"):
        sync_corpus(corpus, store, embedder)
    assert set(store.indexed_documents()) == {"a"}


def test_store_survives_reopening_and_ranks_by_similarity(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "wires", title="Wire transfers")
    write_doc(corpus, "cards", title="Lost cards")
    embedder = FakeEmbedder()
    sync_corpus(corpus, LocalVectorStore(tmp_path / "index.db"), embedder)
    reopened = LocalVectorStore(tmp_path / "index.db")
    hits = reopened.search("lost cards", embedder.embed(["lost cards"])[0], 3, 1.0)
    assert hits[0].chunk.doc_id == "cards"
    assert hits == sorted(hits, key=lambda h: -h.score)


class NamedEmbedder(FakeEmbedder):
    fingerprint = "fake-weights-1"


def test_a_new_store_indexes_a_cached_corpus_without_embedding_it_again(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "fees")
    write_doc(corpus, "fees-schedule", title="Schedule")  # a name that starts with another's keeps its own vectors
    cache = tmp_path / "models"
    first = NamedEmbedder()
    sync_corpus(corpus, LocalVectorStore(tmp_path / "one.db"), first, cache_dir=cache)
    assert len(first.calls) == 2

    again = NamedEmbedder()
    fresh_store = LocalVectorStore(tmp_path / "two.db")
    report = sync_corpus(corpus, fresh_store, again, cache_dir=cache)
    assert sorted(report.added) == ["fees", "fees-schedule"] and again.calls == []
    assert (report.chunks_embedded, report.chunks_cached) == (0, 4)
    hit = fresh_store.search("Schedule fees", again.embed(["Schedule fees"])[0], 1, 1.0)[0]
    assert hit.chunk.doc_id == "fees-schedule"

    write_doc(corpus, "fees", title="Edited")  # only the edited document is embedded
    edited = NamedEmbedder()
    sync_corpus(corpus, LocalVectorStore(tmp_path / "three.db"), edited, cache_dir=cache)
    assert len(edited.calls) == 1 and any("Edited" in text for text in edited.calls[0])


def test_a_cached_file_that_does_not_read_is_counted_as_embedded_not_cached(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "fees")
    write_doc(corpus, "cards", title="Cards")
    cache = tmp_path / "models"
    sync_corpus(corpus, LocalVectorStore(tmp_path / "one.db"), NamedEmbedder(), cache_dir=cache)
    (cut_short,) = (cache / "passages").glob("fees-*.npy")
    cut_short.write_bytes(cut_short.read_bytes()[:40])

    report = sync_corpus(corpus, LocalVectorStore(tmp_path / "two.db"), NamedEmbedder(), cache_dir=cache)
    assert (report.chunks_embedded, report.chunks_cached) == (2, 2)


def test_a_document_id_that_is_a_path_keeps_its_cached_vectors_inside_the_cache(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "odd.md").write_text(DOC.format(id="../../escaped", title="Odd"))
    cache = tmp_path / "deep" / "models"
    sync_corpus(corpus, LocalVectorStore(tmp_path / "index.db"), NamedEmbedder(), cache_dir=cache)
    (written,) = (tmp_path / "deep").rglob("*.npy")
    assert written.parent == cache / "passages" and written.name.startswith("______escaped-")
