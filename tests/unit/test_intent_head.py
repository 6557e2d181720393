"""The intent head names the BANKING77 intent, never changes a route, and runs the transformer only where needed."""

from dataclasses import replace

import numpy as np
import pytest

from agent.scope.guard import ScopeGuard
from agent.scope.weights import IntentHead, LinearHead, ScopeWeights, Thresholds, load_weights, routes_of
from finetune.intent_head import fit_intent_head
from tests.unit.test_scope import TableEncoder
from tools.datasets import LabeledQuery
from tools.errors import ModelFilesError

# Three BANKING77 intents on the banking route, then one class for each other route.
NAMES = np.array(["banking77:a", "banking77:b", "banking77:c", "ours:credit", "ours:smalltalk", "ours:out_of_scope"])
ROUTES_OF_CLASSES = np.array([0, 0, 0, 1, 2, 3])
THRESHOLDS = Thresholds(answer=0.5, clarify=0.4, escalate=0.9)
FAST = {
    "card": [5, 6, 0, 0, 0, 0],  # sure it is banking, torn between a and b: the transformer runs for the intent
    "unsure": [2, 0, 0, 2, 0, 0],  # unsure of the route: the transformer runs once, for both
    "weather": [0, 0, 0, 0, 0, 9],  # nothing of BANKING77: no transformer
}
FULL = {"card": [0, 0, 1, 0, 0, 0], "unsure": [3, 0, 1, 0, 0, 0]}


def guard_with_intent_head():
    identity = LinearHead(np.eye(6, dtype=np.float32), np.zeros(6, dtype=np.float32))
    # Reads the transformer's vector (the first six features): intent c wherever the transformer says c.
    intent_weights = np.zeros((3, 12), dtype=np.float32)
    intent_weights[:, :3] = 8 * np.eye(3)
    intent = IntentHead(LinearHead(intent_weights, np.zeros(3, dtype=np.float32)), np.array([0, 1, 2]))
    weights = ScopeWeights(NAMES, ROUTES_OF_CLASSES, identity, identity, THRESHOLDS, {"encoder": "t"}, intent=intent)
    fast, full = TableEncoder(FAST), TableEncoder(FULL)
    return ScopeGuard(weights, fast, full), full


def test_the_intent_head_names_the_intent_and_leaves_the_route_alone():
    guard, full = guard_with_intent_head()
    texts = ["card", "unsure", "weather"]
    refined = guard.class_probabilities(texts)
    plain = ScopeGuard(replace(guard.weights, intent=None), TableEncoder(FAST), TableEncoder(FULL))
    before = plain.class_probabilities(texts)
    assert NAMES[before[0].argmax()] == "banking77:b" and NAMES[refined[0].argmax()] == "banking77:c"
    np.testing.assert_allclose(routes_of(refined, ROUTES_OF_CLASSES), routes_of(before, ROUTES_OF_CLASSES), atol=1e-6)
    np.testing.assert_array_equal(refined[2], before[2])
    assert sorted(full.seen) == ["card", "unsure"]  # once each: the escalated row's vector is reused
    assert [d.intent for d in guard.classify(texts)][:2] == ["banking77:c", "banking77:a"]


def test_the_intent_head_survives_a_save_and_load(tmp_path):
    guard, _ = guard_with_intent_head()
    path = tmp_path / "guard.npz"
    guard.weights.save(path)
    loaded = load_weights(path).intent
    assert loaded is not None
    np.testing.assert_array_equal(loaded.columns, [0, 1, 2])
    np.testing.assert_allclose(loaded.head.weights, guard.weights.intent.head.weights)
    replace(guard.weights, intent=None).save(path)
    assert load_weights(path).intent is None  # weights from before the head still load


@pytest.mark.parametrize("columns", [[0, 1, 3], [0, 1, 9]])
def test_an_intent_head_over_other_routes_or_unknown_classes_is_refused(tmp_path, columns):
    guard, _ = guard_with_intent_head()
    intent = IntentHead(guard.weights.intent.head, np.array(columns))
    path = tmp_path / "guard.npz"
    replace(guard.weights, intent=intent).save(path)
    with pytest.raises(ModelFilesError, match="intent head"):
        load_weights(path)


def test_the_fitted_head_follows_the_guards_class_order_and_ignores_other_classes():
    vectors = {"late card": [1, 0], "card late": [0.9, 0.1], "fee": [0, 1], "a fee": [0.1, 0.9], "hi": [5, 5]}
    queries = [
        LabeledQuery("late card", "banking", "banking77:card_arrival"),
        LabeledQuery("card late", "banking", "banking77:card_arrival"),
        LabeledQuery("fee", "banking", "banking77:atm_fee"),
        LabeledQuery("a fee", "banking", "banking77:atm_fee"),
        LabeledQuery("hi", "smalltalk", "ours:smalltalk"),
    ]
    names = ["banking77:atm_fee", "banking77:card_arrival", "ours:smalltalk"]
    encoder = TableEncoder(vectors)
    head = fit_intent_head(queries, encoder, encoder, names)
    np.testing.assert_array_equal(head.columns, [0, 1])
    assert "hi" not in encoder.seen
    probabilities = head.head.class_probabilities(np.array([[1, 0, 1, 0], [0, 1, 0, 1]], dtype=np.float32))
    assert list(probabilities.argmax(axis=1)) == [1, 0]
