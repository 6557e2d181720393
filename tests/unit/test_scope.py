import pytest

from agent.scope import ScopeGuard, load_examples
from agent.state import ROUTES
from tests.fakes import FakeEmbedder


@pytest.fixture
def guard():
    return ScopeGuard(FakeEmbedder(), load_examples(), neighbors=5, min_similarity=0.3)


def test_every_route_has_seed_examples():
    examples = load_examples()
    assert set(examples) == set(ROUTES)
    assert all(len(texts) >= 15 for texts in examples.values())


@pytest.mark.parametrize(
    ("text", "route"),
    [
        ("What is the fee for an outgoing domestic wire transfer?", "banking"),
        ("How can I improve my credit score?", "credit"),
        ("Thank you so much for your help", "smalltalk"),
        ("What's the capital of France?", "out_of_scope"),
    ],
)
def test_known_phrasings_route_to_their_label(guard, text, route):
    decision = guard.classify([text])[0]
    assert decision.route == route
    assert 0.5 < decision.confidence <= 1.0


def test_text_far_from_every_example_is_out_of_scope(guard):
    decision = guard.classify(["zxqv plonk wibble"])[0]
    assert decision.route == "out_of_scope"


def test_a_batch_is_classified_in_one_embedding_call(guard):
    embedder = guard._embedder
    before = len(embedder.calls)
    decisions = guard.classify(["hi", "tell me a joke", "my card was stolen"])
    assert len(decisions) == 3
    assert len(embedder.calls) == before + 1


def test_no_texts_no_work(guard):
    assert guard.classify([]) == []
