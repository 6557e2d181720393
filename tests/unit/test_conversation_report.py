"""The simulated customers' report and metrics, on hand-made results; and how `bankassist eval` wires the suite."""

from __future__ import annotations

import pytest

from evals.baseline import gated
from evals.charts import metric_charts
from evals.conversation_checks import CheckOutcome
from evals.conversation_personas import Persona
from evals.conversation_result import ConversationResult, ConversationSuite, TurnRecord
from evals.runner import Suite, judge_config
from tools.errors import BankassistError


def persona(persona_id: str, kind: str = "banking") -> Persona:
    turns = [{"say": "hi"}] * 4
    row = {"id": persona_id, "kind": kind, "role": "customer", "customer": "C0001", "goal": "Get help.", "turns": turns}
    return Persona.model_validate(row)


def turn(message: str, answer: str, *failed: str) -> TurnRecord:
    why = {"route": "got clarify", "no_raw_pii": "echoed:4111"}
    outcomes = tuple(CheckOutcome(kind, kind not in failed, why[kind] if kind in failed else "") for kind in why)
    return TurnRecord(message, "C0001", "banking", answer, message, (), outcomes, 0.5)


def suite() -> ConversationSuite:
    good = ConversationResult(persona("all-good"), [turn("hi", "Hello!"), turn("wire fee?", "$25 [1]")])
    bad = ConversationResult(persona("leaky", "pii"), [turn("my card", "Which card?"), turn("what did I type?",
                             "You typed 4111 ```", "route", "no_raw_pii")])  # fmt: skip
    return ConversationSuite([good, bad], seed=30, seconds=12.0)


def test_metrics_give_pass_rates_per_turn_persona_and_kind_and_keep_counts_out_of_the_gate():
    metrics = suite().metrics()
    assert metrics["conversation_pass_rate"] == 0.75 and metrics["conversation_persona_pass_rate"] == 0.5
    assert metrics["conversation_pass_rate_route"] == 0.75 and metrics["conversation_pass_rate_no_raw_pii"] == 0.75
    assert metrics["conversation_pass_rate_must_include"] is None  # no turn expected a phrase
    assert metrics["conversation_turn_count"] == 4 and metrics["conversation_seconds"] == 12.0
    never_gated = ("conversation_turn_count", "conversation_persona_count", "conversation_seconds")
    assert not any(gated(name, metrics[name]) for name in never_gated) and gated("conversation_pass_rate", 0.75)
    bars = [chart for chart in metric_charts(metrics) if chart.title.startswith("Simulated customers")]
    assert len(bars) == 1 and bars[0].labels == ["route", "no_raw_pii"]  # kinds with a value only


def test_the_report_has_tables_by_kind_and_persona_and_each_failing_turn_with_its_transcript():
    report = suite().markdown()
    assert "## By expectation kind" in report and "| route | 4 | 3 | 0.750 |" in report
    assert "## By persona" in report
    assert "| `leaky` | pii | customer | C0001 | 1/2 | 0.500 | no_raw_pii, route |" in report
    assert "## Failing turns (1)" in report and "### `leaky`, turn 2 of 2" in report
    assert "Failed: route (got clarify); no_raw_pii (echoed:4111)." in report
    block = report.split("### `leaky`, turn 2 of 2", 1)[1]
    assert "customer (C0001): my card\nassistant [banking]: Which card?\ncustomer (C0001): what did I type?" in block
    assert "You typed 4111 '''" in block  # a fence in an answer never ends the transcript's block


def test_the_judge_may_play_the_customer_in_the_conversations_suite_only_with_rag_or_all():
    assert judge_config(Suite.conversations, "http://127.0.0.1:8000/v1", "m", 64) is not None
    with pytest.raises(BankassistError, match="plays the customer in the conversations suite"):
        judge_config(Suite.credit, "http://127.0.0.1:8000/v1", "m", 64)
