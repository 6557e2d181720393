"""The guard's account head: own-account messages the parser's own-words miss, requests for a person, and policy."""

from dataclasses import replace

import numpy as np
import pytest

from agent.scope.account_route import OWN_SURE, OWN_UNLIKELY, PERSON_SURE, with_account_route
from agent.scope.guard import AccountReading, ScopeDecision, ScopeGuard
from agent.scope.weights import LinearHead, Thresholds, load_weights
from finetune.account_head import fit_account_head
from tests.unit.test_scope import TableEncoder, one_hot_weights
from tools.account_requests import read_request
from tools.datasets import LabeledQuery
from tools.errors import ModelFilesError

BANKING = ScopeDecision("banking", 0.9)
OFF_TOPIC = ScopeDecision("out_of_scope", 0.9, 0.1)
PAYDAY_TALK = ScopeDecision("out_of_scope", 0.98, 0.02, intent="clinc150:payday")
OWN, UNSURE = AccountReading(OWN_SURE + 0.05, 0.0), AccountReading(0.5, 0.0)
POLICY, PERSON = AccountReading(OWN_UNLIKELY / 2, 0.0), AccountReading(0.0, PERSON_SURE + 0.05)


@pytest.mark.parametrize(
    ("text", "decision", "reading", "route"),
    [
        ("current account balance please", BANKING, None, "banking"),  # no head: no own-words, no account
        ("current account balance please", BANKING, OWN, "account"),
        ("what's the balance on the joint account", BANKING, OWN, "account"),  # "what's the" alone reads as policy
        ("current account balance please", BANKING, UNSURE, "banking"),  # unsure: the parser alone
        # The parser reads an action into it; the head knows it is about the bank in general.
        ("what do you do when someone reports their card stolen", BANKING, POLICY, "banking"),
        ("what do you do when someone reports their card stolen", BANKING, None, "account"),
        ("any uber charges in the last 2 weeks", OFF_TOPIC, OWN, "account"),
        ("tell me about the weather", OFF_TOPIC, OWN, "out_of_scope"),  # no tool's words
        ("my balance on my credit report", ScopeDecision("credit", 0.9), OWN, "credit"),
        ("How do I freeze my debit card?", BANKING, OWN, "banking"),  # it asks how, however sure the head is
        ("my card was lost yesterday. How do I report it?", BANKING, OWN, "banking"),
        ("get me a human", BANKING, AccountReading(0.0, 0.5), "handoff"),  # the head unsure: the wording decides
        ("representative", ScopeDecision("smalltalk", 0.9), PERSON, "handoff"),  # the head alone
        ("could a member of staff ring me this afternoon", OFF_TOPIC, PERSON, "handoff"),
        ("representative", ScopeDecision("smalltalk", 0.9), None, "handoff"),  # the one word people type for a person
        ("a representative sample of fees", ScopeDecision("smalltalk", 0.9), None, "smalltalk"),
        ("why would a card payment be declined", BANKING, OWN, "banking"),  # why it can happen: policy
        ("why was my card payment declined", BANKING, OWN, "account"),
        # "Real person" to the parser; a question about the assistant to the head.
        ("are you a real person?", ScopeDecision("smalltalk", 0.9), AccountReading(0.0, 0.01), "smalltalk"),
        ("are you a real person?", ScopeDecision("smalltalk", 0.9), None, "handoff"),
        ("representative", ScopeDecision("out_of_scope", 1.0, reason="frame"), PERSON, "out_of_scope"),  # refused
        # Without the head, "human" asks for a person only in a request's words.
        ("how many bones are in the human body", OFF_TOPIC, None, "out_of_scope"),
        ("i want to talk to a human", BANKING, None, "handoff"),
        ("human agent please", OFF_TOPIC, None, "handoff"),
        # CLINC150's payday, off topic: pay that came in is in the ledger, the next payday the employer's to say.
        ("has my paycheck come in", PAYDAY_TALK, UNSURE, "account"),
        ("when was i paid the last time", PAYDAY_TALK, None, "account"),
        ("when is my next payday", PAYDAY_TALK, UNSURE, "out_of_scope"),
        ("has my paycheck come in", OFF_TOPIC, UNSURE, "out_of_scope"),  # another off-topic intent
        # "a person" asks for one only in a request's words.
        ("At what age can a person open an account?", BANKING, None, "banking"),
        ("are you a bot or a person", ScopeDecision("smalltalk", 0.9), None, "smalltalk"),
        ("this bot is useless, give me a person", BANKING, None, "handoff"),
        ("i need a person, not a chatbot", OFF_TOPIC, None, "handoff"),
        ("can I get a phone call from a person", OFF_TOPIC, None, "handoff"),
    ],
)
def test_the_head_and_the_parsers_decide_the_account_and_handoff_routes_together(text, decision, reading, route):
    assert with_account_route(decision, text, reading).route == route


def test_a_request_judged_own_needs_only_its_tool_words():
    assert read_request("whats the balance on the joint account") is None
    assert read_request("whats the balance on the joint account", own=True).kind == "balance"
    assert read_request("how is the weather", own=True) is None  # no tool's words: still no request


VECTORS = {"mine": [4, 0, 0, 0], "policy": [0, 4, 0, 0], "person": [0, 0, 4, 0]}


def table_guard(account=None):
    weights = replace(one_hot_weights(Thresholds(answer=0.5, clarify=0.4, escalate=0.9)), account=account)
    return ScopeGuard(weights, TableEncoder(VECTORS), TableEncoder(VECTORS))


def test_the_head_is_fitted_on_the_three_kinds_and_read_by_the_guard():
    vectors = TableEncoder(VECTORS)
    routes = {"mine": "account", "policy": "banking", "person": "handoff"}
    queries = [LabeledQuery(text, route, "ours") for text, route in routes.items()] * 5
    head = fit_account_head(queries, vectors, vectors)
    mine, policy, person = table_guard(head).account_readings(["mine", "policy", "person"])
    assert mine.own > 0.8 and policy.own < 0.2 and person.person > 0.8 and mine.person < 0.2
    assert table_guard().account_readings(["mine"]) == [None]  # weights without a head
    with pytest.raises(ValueError, match="each of"):
        fit_account_head(queries[:2], vectors, vectors)  # no one asked for a person


def test_the_head_survives_a_save_and_load_and_a_bad_one_is_a_clear_error(tmp_path):
    head = LinearHead(np.arange(24, dtype=np.float32).reshape(3, 8), np.array([0.0, 1.0, 2.0], dtype=np.float32))
    path = tmp_path / "guard.npz"
    table_guard(head).weights.save(path)
    np.testing.assert_array_equal(load_weights(path).account.weights, head.weights)
    table_guard().weights.save(path)
    assert load_weights(path).account is None  # weights from before the head still load
    table_guard(LinearHead(head.weights[:2], head.bias[:2])).weights.save(path)
    with pytest.raises(ModelFilesError, match="account head"):
        load_weights(path)
