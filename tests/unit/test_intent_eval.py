from collections import Counter

import numpy as np

from agent.scope.guard import ScopeGuard
from agent.scope.weights import LinearHead, ScopeWeights, Thresholds
from evals.intent import evaluate_intent, held_out_banking77, macro_f1, most_confused
from tools.datasets import LabeledQuery, split_banking77

INTENTS = ["banking77:card_arrival", "banking77:lost_card", "banking77:top_up", "clinc150:tell_joke"]


class WordEncoder:
    """One feature per known word: the head's logits are the counts of each intent's word."""

    WORDS = ["arrive", "lost", "top", "joke"]

    def embed(self, texts):
        return np.array([[t.lower().split().count(w) * 5.0 for w in self.WORDS] for t in texts], dtype=np.float32)


def word_guard():
    head = LinearHead(np.eye(4, dtype=np.float32), np.zeros(4, dtype=np.float32))
    weights = ScopeWeights(np.array(INTENTS), np.array([0, 0, 0, 3]), head, head, Thresholds(0.6, 0.5, 0.9), {})
    return ScopeGuard(weights, WordEncoder(), WordEncoder())


def query(text, intent):
    return LabeledQuery(text, "banking", f"banking77:{intent}")


def test_77_way_reads_only_banking77_classes_and_names_the_confused_pairs():
    queries = [
        query("when will it arrive", "card_arrival"),
        query("lost my card", "lost_card"),
        query("top up please", "top_up"),
        query("joke joke about my top up", "top_up"),  # overall: the joke class; 77-way: top_up
        query("lost it, will the new one arrive arrive", "lost_card"),  # taken for card_arrival
    ]
    result = evaluate_intent(word_guard(), queries)
    assert result.accuracy == 0.8
    assert result.top_intent_accuracy == 0.6
    assert result.confused == [("lost_card", "card_arrival", 1)]


def test_macro_f1_weighs_every_intent_equally():
    gold = ["a", "a", "a", "b"]
    assert macro_f1(gold, ["a", "a", "a", "b"]) == 1.0
    assert macro_f1(gold, ["a", "a", "a", "a"]) == round((2 * 3 / 7 + 0) / 2, 4)
    assert most_confused(gold, ["b", "b", "a", "b"]) == [("a", "b", 2)]


def test_the_held_out_slice_is_stratified_and_rebuilt_exactly_from_its_seed():
    queries = [query(f"q{i}", f"intent{i % 4}") for i in range(80)]
    kept, held = split_banking77(queries, 0.1, 0)
    assert Counter(q.label for q in held) == {f"banking77:intent{i}": 2 for i in range(4)}
    assert not set(held) & set(kept) and len(kept) + len(held) == 80
    assert split_banking77(queries, 0.1, 0) == (kept, held)
    assert split_banking77(queries, 0.1, 1)[1] != held


def test_a_guard_trained_on_all_of_banking77_has_no_held_out_slice(tmp_path):
    assert held_out_banking77(word_guard(), tmp_path) == []
