"""The retrieval embedder's LoRA adapter: training, the shipped file, loading, and re-embedding on a switch."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agent.settings import Settings
from finetune.retrieval_encoder import (
    Pair,
    RetrieverTraining,
    false_negatives,
    held_out_texts,
    train_adapter,
    training_queries,
    unit_question_pairs,
)
from retrieval.bert_numpy import NumpyBertEmbedder
from retrieval.chunking import Chunk
from retrieval.embeddings import (
    DEFAULT_EMBEDDING_MODEL,
    DEFAULT_RETRIEVAL_ADAPTER,
    EncoderAdapter,
    SentenceTransformerEmbedder,
    embedder_fingerprint,
    load_adapter,
    load_retrieval_embedder,
    load_sentence_transformer,
    merge_lora,
)
from retrieval.ingest import sync_corpus
from retrieval.stores.local import LocalVectorStore
from tests.fakes import FakeEmbedder
from tests.unit.test_corpus import write_doc
from tools.errors import ModelFilesError

TEXTS = ["I am still waiting on my card?", "Cards - Delivery\nNew cards arrive in 5 to 7 business days."]


def _pairs() -> list[Pair]:
    card, fees = frozenset({"cards"}), frozenset({"fees"})
    return [
        Pair("I am still waiting on my card?", TEXTS[1], "cards", card),
        Pair("my card has not come yet", TEXTS[1], "cards", card),
        Pair("why was I charged a fee?", "Fees - Charges\nA $5 fee applies to each wire.", "fees", fees),
        Pair("there is an extra fee on my statement", "Fees - Charges\nA $5 fee applies to each wire.", "fees", fees),
    ]


def test_a_tiny_training_run_changes_the_embeddings_and_loads_back_identically(tmp_path):
    config = RetrieverTraining(
        epochs=2, passages=2, queries_per_passage=2, rank=2, alpha=4, learning_rate=1e-2, max_passage_tokens=32
    )
    base = SentenceTransformerEmbedder(load_sentence_transformer(DEFAULT_EMBEDDING_MODEL))
    before = base.embed(TEXTS)
    adapter = train_adapter(
        load_sentence_transformer(DEFAULT_EMBEDDING_MODEL), _pairs(), config, DEFAULT_EMBEDDING_MODEL
    )
    assert adapter.factors and all(np.abs(b).max() > 0 for _, b in adapter.factors.values())

    path = tmp_path / "adapter.npz"
    adapter.save(path)
    loaded = load_adapter(path)
    assert loaded.base_model == DEFAULT_EMBEDDING_MODEL and (loaded.rank, loaded.alpha) == (2, 4.0)
    assert sorted(loaded.factors) == sorted(adapter.factors)
    tuned = load_retrieval_embedder(DEFAULT_EMBEDDING_MODEL, path)
    after = tuned.embed(TEXTS)
    assert np.abs(after - before).max() > 1e-3  # the adapter changed the embeddings
    np.testing.assert_allclose(np.linalg.norm(after, axis=1), 1.0, atol=1e-5)
    again = SentenceTransformerEmbedder(
        merge_lora(load_sentence_transformer(DEFAULT_EMBEDDING_MODEL), load_adapter(path))
    )
    # The runtime applies the factors in numpy, without torch: the merged torch model's vectors, to float rounding.
    assert isinstance(tuned, NumpyBertEmbedder)
    np.testing.assert_allclose(again.embed(TEXTS), after, atol=1e-6)
    assert tuned.fingerprint == embedder_fingerprint(DEFAULT_EMBEDDING_MODEL, loaded) != DEFAULT_EMBEDDING_MODEL


def test_the_base_embedder_stays_untouched_by_the_adapter(tmp_path):
    from retrieval.embeddings import load_embedder

    path = tmp_path / "adapter.npz"
    _random_adapter().save(path)
    shared = load_embedder(DEFAULT_EMBEDDING_MODEL)  # the scope guard's base, when its weights have no adapter
    before = shared.embed(TEXTS)
    tuned = load_retrieval_embedder(DEFAULT_EMBEDDING_MODEL, path)
    assert isinstance(tuned, NumpyBertEmbedder) and isinstance(shared, NumpyBertEmbedder)
    assert tuned is not shared and tuned.lora and not shared.lora
    assert tuned.weights is shared.weights  # one copy of the base weights, the adapter beside it
    np.testing.assert_array_equal(shared.embed(TEXTS), before)
    assert load_retrieval_embedder(DEFAULT_EMBEDDING_MODEL, None) is shared


def test_the_shipped_adapter_fits_the_default_encoder_and_is_small():
    adapter = load_adapter(DEFAULT_RETRIEVAL_ADAPTER)
    assert adapter.base_model == DEFAULT_EMBEDDING_MODEL and adapter.factors
    assert DEFAULT_RETRIEVAL_ADAPTER.stat().st_size < 3_000_000
    assert DEFAULT_RETRIEVAL_ADAPTER.with_suffix(".json").is_file()  # its card
    assert Settings().retrieval_adapter == DEFAULT_RETRIEVAL_ADAPTER


@pytest.mark.parametrize("value", ["none", "", "None"])
def test_the_adapter_setting_can_be_turned_off(monkeypatch, value):
    monkeypatch.setenv("BANKASSIST_RETRIEVAL_ADAPTER", value)
    assert Settings().retrieval_adapter is None


def test_an_adapter_of_another_encoder_is_refused(tmp_path):
    path = tmp_path / "other.npz"
    EncoderAdapter(_random_adapter().factors, "some/other-model", 2, 4.0).save(path)
    with pytest.raises(ModelFilesError, match="trained on 'some/other-model'"):
        load_retrieval_embedder(DEFAULT_EMBEDDING_MODEL, path)
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFilesError, match="Cannot read the retrieval adapter"):
        load_adapter(tmp_path / "broken.npz")


class NamedFake(FakeEmbedder):
    def __init__(self, fingerprint: str) -> None:
        super().__init__()
        self.fingerprint = fingerprint


def test_a_switch_of_embedder_re_embeds_every_document(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for doc_id in ("wires", "cards"):
        write_doc(corpus, doc_id)
    store = LocalVectorStore(tmp_path / "index.db")
    first = sync_corpus(corpus, store, NamedFake("base"))
    assert sorted(first.added) == ["cards", "wires"]
    assert not sync_corpus(corpus, store, NamedFake("base")).changed  # same embedder: nothing to do
    switched = sync_corpus(corpus, store, NamedFake("base+lora:1234"))
    assert sorted(switched.updated) == ["cards", "wires"] and switched.unchanged == 0
    assert not sync_corpus(corpus, store, NamedFake("base+lora:1234")).changed
    assert sorted(sync_corpus(corpus, store, NamedFake("base")).updated) == ["cards", "wires"]  # and back
    hashes = set(store.indexed_documents().values())
    assert len(hashes) == 2  # one per document, each covering the content and the embedder
    store.close()


def test_masked_cells_are_the_batchs_positives_for_each_query():
    pairs = _pairs() + [Pair("card and fee", TEXTS[1], "cards", frozenset({"cards", "fees"}))]
    mask = false_negatives(pairs, [0, 2, 4])
    # Query 0 (cards) may not treat pair 4's cards passage as a negative; query 4 (cards+fees) neither of the others.
    assert mask.tolist() == [[False, False, True], [False, False, False], [True, True, False]]


def test_training_queries_leave_out_every_evaluated_banking77_query():
    settings = Settings()
    data_dir = settings.external_data_dir
    if data_dir is None or not (data_dir / "banking77" / "train.csv").is_file():
        pytest.skip("BANKING77 is not in the external data folder")
    from evals.retrieval import banking77_questions

    evaluated = {question.lower() for _, question, _ in banking77_questions(data_dir)}
    queries = training_queries(data_dir, held_out_texts(data_dir))
    assert len(evaluated) >= 380 and len(queries) > 9000
    assert not evaluated & {text.lower() for text, _ in queries}


def test_written_questions_pair_with_their_sentence_and_the_pages_other_sentences_are_negatives(tmp_path):
    body = "Wires - Fees\nAn outgoing wire costs $25. Wires sent by 4 p.m. leave the same day."
    chunks = [Chunk("wires#0", "wires", "Wires", "Fees", body, "h")]
    rows = [
        {"doc_id": "wires", "text": "An outgoing wire costs $25.", "questions": ["wire fee?", "What is the wire fee?"]},
        {"doc_id": "wires", "text": "Wires sent by 4 p.m. leave the same day.", "questions": ["wire cutoff"]},
        {"doc_id": "wires", "text": "A sentence the page no longer has.", "questions": ["gone?"]},
    ]
    path = tmp_path / "unit_questions.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")

    pairs = unit_question_pairs(chunks, {"what is the wire fee?"}, path)  # an eval's question: left out

    assert [(p.query, p.passage) for p in pairs] == [
        ("wire fee?", "Fees: An outgoing wire costs $25."),  # what the selector embeds: heading and sentence
        ("wire cutoff", "Fees: Wires sent by 4 p.m. leave the same day."),
    ]
    assert false_negatives(pairs, [0, 1]).tolist() == [[False, False], [False, False]]  # the other sentence is one


def _random_adapter() -> EncoderAdapter:
    rng = np.random.default_rng(0)
    name = "encoder.layer.0.attention.self.query"
    return EncoderAdapter(
        {name: (rng.normal(size=(2, 384)).astype(np.float32), rng.normal(size=(384, 2)).astype(np.float32) * 0.01)},
        DEFAULT_EMBEDDING_MODEL,
        2,
        4.0,
    )
