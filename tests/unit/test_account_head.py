"""The guard's account head: own-account messages the parser's own-words miss, and policy it misreads."""

from dataclasses import replace

import numpy as np
import pytest

from agent.scope.account_route import OWN_SURE, OWN_UNLIKELY, with_account_route
from agent.scope.guard import ScopeDecision, ScopeGuard
from agent.scope.weights import LinearHead, Thresholds, load_weights
from finetune.account_head import fit_account_head
from tests.unit.test_scope import TableEncoder, one_hot_weights
from tools.account_requests import read_request
from tools.datasets import LabeledQuery
from tools.errors import ModelFilesError

BANKING = ScopeDecision("banking", 0.9)
SURE, UNLIKELY = OWN_SURE + 0.05, OWN_UNLIKELY / 2


@pytest.mark.parametrize(
    ("text", "decision", "own", "route"),
    [
        ("current account balance please", BANKING, None, "banking"),  # no head: no own-words, no account
        ("current account balance please", BANKING, SURE, "account"),
        ("what's the balance on the joint account", BANKING, SURE, "account"),  # "what's the" alone reads as policy
        ("current account balance please", BANKING, 0.5, "banking"),  # unsure: the parser alone
        # The parser reads an action into it; the head knows it is about the bank in general.
        ("what do you do when someone reports their card stolen", BANKING, UNLIKELY, "banking"),
        ("what do you do when someone reports their card stolen", BANKING, None, "account"),
        ("any uber charges in the last 2 weeks", ScopeDecision("out_of_scope", 0.9, 0.1), SURE, "account"),
        ("tell me about the weather", ScopeDecision("out_of_scope", 0.9, 0.1), SURE, "out_of_scope"),  # no tool
        ("my balance on my credit report", ScopeDecision("credit", 0.9), SURE, "credit"),
        ("How do I freeze my debit card?", BANKING, SURE, "banking"),  # it asks how, however sure the head is
        ("my card was lost yesterday. How do I report it?", BANKING, SURE, "banking"),
        ("get me a human", BANKING, UNLIKELY, "handoff"),
    ],
)
def test_the_head_and_the_parser_decide_the_account_route_together(text, decision, own, route):
    assert with_account_route(decision, text, own).route == route


def test_a_request_judged_own_needs_only_its_tool_words():
    assert read_request("whats the balance on the joint account") is None
    assert read_request("whats the balance on the joint account", own=True).kind == "balance"
    assert read_request("how is the weather", own=True) is None  # no tool's words: still no request


def table_guard(account=None):
    vectors = {"mine": [4, 0, 0, 0], "policy": [0, 4, 0, 0]}
    weights = replace(one_hot_weights(Thresholds(answer=0.5, clarify=0.4, escalate=0.9)), account=account)
    return ScopeGuard(weights, TableEncoder(vectors), TableEncoder(vectors))


def test_the_head_is_fitted_on_own_and_other_queries_and_read_by_the_guard():
    vectors = TableEncoder({"mine": [4, 0, 0, 0], "policy": [0, 4, 0, 0]})
    queries = [LabeledQuery("mine", "account", "ours"), LabeledQuery("policy", "banking", "ours")] * 5
    head = fit_account_head(queries, vectors, vectors)
    own_mine, own_policy = table_guard(head).own_account_probabilities(["mine", "policy"])
    assert own_mine > 0.8 and own_policy < 0.2
    assert table_guard().own_account_probabilities(["mine"]) == [None]  # weights without a head


def test_the_head_survives_a_save_and_load_and_a_bad_one_is_a_clear_error(tmp_path):
    head = LinearHead(np.arange(16, dtype=np.float32).reshape(2, 8), np.array([0.0, 1.0], dtype=np.float32))
    path = tmp_path / "guard.npz"
    table_guard(head).weights.save(path)
    np.testing.assert_array_equal(load_weights(path).account.weights, head.weights)
    table_guard().weights.save(path)
    assert load_weights(path).account is None  # weights from before the head still load
    table_guard(LinearHead(head.weights[:1], head.bias[:1])).weights.save(path)
    with pytest.raises(ModelFilesError, match="account head"):
        load_weights(path)
