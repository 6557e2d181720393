"""Fine-tuning the guard's encoder with LoRA, on the real all-MiniLM-L6-v2 for a few steps."""

import numpy as np
import pytest

from agent.scope.loading import load_full_encoder
from agent.scope.weights import load_weights
from finetune.scope_encoder import EncoderTraining, tune_encoder
from finetune.scope_guard import TrainingData, train_guard
from retrieval.embeddings import DEFAULT_EMBEDDING_MODEL, load_embedder, load_sentence_transformer
from tests.fakes import FakeEmbedder
from tools.datasets import LabeledQuery

QUERIES = [
    LabeledQuery("how do I send a wire transfer", "banking", "t:wire"),
    LabeledQuery("wire money to another bank", "banking", "t:wire"),
    LabeledQuery("why did my credit score drop", "credit", "t:score"),
    LabeledQuery("what lowered my fico score", "credit", "t:score"),
    LabeledQuery("tell me a joke", "out_of_scope", "t:joke"),
    LabeledQuery("say something funny", "out_of_scope", "t:joke"),
]
PROBES = ["send money abroad", "my score fell", "make me laugh"]


@pytest.fixture(scope="module")
def tuned():
    training = EncoderTraining(epochs=4, batch=4, learning_rate=5e-3, seed=1)
    names = sorted({q.label for q in QUERIES})
    model = load_sentence_transformer(DEFAULT_EMBEDDING_MODEL)
    return tune_encoder(model, QUERIES, np.ones(len(QUERIES)), names, training)


def test_training_changes_the_adapter_and_the_tuned_copy_but_not_the_shared_base(tuned):
    shared = load_embedder(DEFAULT_EMBEDDING_MODEL)  # what retrieval embeds with
    fresh = load_sentence_transformer(DEFAULT_EMBEDDING_MODEL)
    np.testing.assert_allclose(shared.embed(PROBES), fresh.encode(PROBES, normalize_embeddings=True), atol=1e-5)
    lora_b = [t for name, t in tuned.adapter.items() if "lora_B" in name]
    assert lora_b and all(np.abs(t).max() > 0 for t in lora_b)  # peft starts every B at zero
    moved = 1 - np.sum(tuned.embedder.embed(PROBES) * shared.embed(PROBES), axis=1)
    assert moved.min() > 1e-4


def test_the_saved_adapter_rebuilds_the_tuned_encoder(tuned, tmp_path):
    data = TrainingData(QUERIES, np.ones(len(QUERIES)), QUERIES)
    path = tmp_path / "guard.npz"
    train_guard(data, FakeEmbedder(), tuned, DEFAULT_EMBEDDING_MODEL).save(path)
    weights = load_weights(path)
    rebuilt = load_full_encoder(DEFAULT_EMBEDDING_MODEL, weights.adapter, weights.info["lora"])
    # Training merges the adapter rounded to the file's float16, so the runtime rebuilds the very same encoder.
    np.testing.assert_allclose(rebuilt.embed(PROBES), tuned.embedder.embed(PROBES), atol=1e-6)


def test_the_tuned_head_routes_the_probes(tuned):
    logits = tuned.embedder.embed(PROBES) @ tuned.head.weights.T + tuned.head.bias
    names = sorted({q.label for q in QUERIES})
    assert [names[i] for i in logits.argmax(axis=1)] == ["t:wire", "t:score", "t:joke"]
