"""Vectors embedded once per cache, and only the most recently used files of a name kept."""

import os

import numpy as np

from retrieval.vector_cache import KEEP, embedded_once
from tests.fakes import FakeEmbedder


class NamedEmbedder(FakeEmbedder):
    fingerprint = "fake-weights-1"


def test_an_edited_text_file_leaves_only_the_most_recently_used_vectors(tmp_path):
    embedder = NamedEmbedder()
    versions = [[f"question {n}", "shared"] for n in range(4)]
    seen: set = set()
    for n, texts in enumerate(versions):
        embedded_once(embedder, texts, tmp_path, "unit-questions")
        for path in set(tmp_path.glob("*.npy")) - seen:  # written in this order, whatever the clock's resolution
            os.utime(path, (n + 1, n + 1))
            seen.add(path)
    embedded_once(embedder, ["other name"], tmp_path, "credit-kinds")
    assert len(list(tmp_path.glob("unit-questions-*.npy"))) == KEEP == 2
    assert len(list(tmp_path.glob("credit-kinds-*.npy"))) == 1  # another name is not pruned
    # The two kept are the last two versions: reading them embeds nothing.
    again = NamedEmbedder()
    for texts in versions[-KEEP:]:
        assert np.allclose(embedded_once(again, texts, tmp_path, "unit-questions"), embedder.embed(texts))
    assert again.calls == []


def test_reading_vectors_marks_them_used_so_they_outlive_newer_unused_ones(tmp_path):
    embedder = NamedEmbedder()
    embedded_once(embedder, ["in use"], tmp_path, "unit-questions")
    (in_use,) = tmp_path.glob("*.npy")
    os.utime(in_use, (0, 0))
    embedded_once(embedder, ["tried once"], tmp_path, "unit-questions")
    (tried,) = set(tmp_path.glob("*.npy")) - {in_use}
    os.utime(tried, (1, 1))
    embedded_once(embedder, ["in use"], tmp_path, "unit-questions")  # read: now the most recently used
    embedded_once(embedder, ["tried again"], tmp_path, "unit-questions")
    assert in_use.exists() and not tried.exists() and len(list(tmp_path.glob("*.npy"))) == KEEP


def test_vectors_another_process_pruned_are_embedded_again(tmp_path, monkeypatch):
    embedder = NamedEmbedder()
    first = embedded_once(embedder, ["a question"], tmp_path, "unit-questions")

    def pruned_meanwhile(path, *args, **kwargs):
        raise FileNotFoundError(path)

    monkeypatch.setattr(np, "load", pruned_meanwhile)
    again = NamedEmbedder()
    assert np.allclose(embedded_once(again, ["a question"], tmp_path, "unit-questions"), first)
    assert again.calls  # embedded afresh, no traceback


def test_a_cached_file_that_is_cut_short_or_of_other_texts_is_embedded_again(tmp_path):
    embedder = NamedEmbedder()
    first = embedded_once(embedder, ["a", "b"], tmp_path, "passages")
    (path,) = tmp_path.glob("*.npy")
    path.write_bytes(path.read_bytes()[:20])  # a disk that filled up mid-write elsewhere
    assert np.allclose(embedded_once(NamedEmbedder(), ["a", "b"], tmp_path, "passages"), first)
    np.save(path, first[:1])  # a file with another number of rows
    again = NamedEmbedder()
    assert np.allclose(embedded_once(again, ["a", "b"], tmp_path, "passages"), first) and again.calls
    # Texts that hold newlines are keyed as the list they are: ["a\nb"] is not ["a", "b"].
    assert embedded_once(NamedEmbedder(), ["a\nb"], tmp_path, "passages").shape == (1, first.shape[1])


def test_pruning_a_name_leaves_a_longer_name_that_starts_with_it(tmp_path):
    embedder = NamedEmbedder()
    embedded_once(embedder, ["schedule"], tmp_path, "fees-schedule")
    (other,) = tmp_path.glob("*.npy")
    os.utime(other, (0, 0))  # the least recently used of all
    for n in range(KEEP + 1):
        embedded_once(embedder, [f"fee {n}"], tmp_path, "fees")
    assert other.exists() and len(list(tmp_path.glob("*.npy"))) == KEEP + 1
