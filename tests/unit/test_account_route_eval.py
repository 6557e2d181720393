"""The account and handoff routes' eval: counts, misroutes and metrics from a guard's decisions."""

import json

from agent.scope.guard import ScopeDecision
from evals.account_route import account_route_lines, evaluate_set


class BankingEverywhere:
    """A guard that reads every message as a banking question, so only the wording decides."""

    def classify(self, texts):
        return [ScopeDecision("banking", 0.9) for _ in texts]

    def account_readings(self, texts):
        return [None for _ in texts]  # no account head: the parsers decide alone


def test_the_wording_decides_account_and_handoff_and_misses_are_listed(tmp_path):
    rows = [
        ("please freeze my debit card", "account"),
        ("what's my balance", "account"),
        ("has the money for my flat left yet?", "account"),  # no pattern for it: a miss, listed
        ("how do I freeze my card?", "banking"),
        ("get me a human", "handoff"),
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps({"text": text, "gold": gold}) for text, gold in rows))
    result = evaluate_set(BankingEverywhere(), "test", path)
    metrics = result.metrics()
    assert metrics["scope_account_test_accuracy"] == 0.8 and metrics["scope_account_test_account_recall"] == 0.6667
    assert (
        metrics["scope_account_test_account_precision"] == 1.0 and metrics["scope_account_test_handoff_recall"] == 1.0
    )
    assert result.misroutes == [("has the money for my flat left yet?", "account", "banking")]


def test_the_report_section_shows_each_set_and_the_banking77_shares(tmp_path):
    from evals.account_route import AccountRouteResult

    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({"text": "what's my balance", "gold": "account"}))
    result = AccountRouteResult([evaluate_set(BankingEverywhere(), "test", path)], {"account": 0.3, "banking": 0.7})
    text = "\n".join(account_route_lines(result))
    assert "### test set" in text and "| account | 1 | 0 | 0 | 0 |" in text and "account 30.0%" in text
