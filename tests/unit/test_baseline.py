import json
import re

import pytest

from evals.baseline import gated, load_baseline, regressions, updated_baseline, write_baseline
from tools.errors import BankassistError

BASELINE = {
    "scope_in_scope_recall": {"value": 0.92, "tolerance": 0.01, "higher_is_better": True},
    "attack_success_rate": {"value": 0.02, "tolerance": 0.005, "higher_is_better": False},
    "extractor_f1": {"value": 0.7, "tolerance": 0.02, "higher_is_better": True},
}


def test_a_drop_within_the_tolerance_passes_and_beyond_it_fails():
    assert regressions({"scope_in_scope_recall": 0.911, "attack_success_rate": 0.024}, BASELINE) == []
    found = regressions({"scope_in_scope_recall": 0.909, "attack_success_rate": 0.026}, BASELINE)
    assert [r.name for r in found] == ["attack_success_rate", "scope_in_scope_recall"]
    assert found[1].line() == "scope_in_scope_recall 0.909, baseline 0.92 (tolerance 0.01, higher is better)"


def test_a_metric_with_no_value_fails_and_unmeasured_ones_are_not_compared():
    found = regressions({"extractor_f1": None, "new_metric": 0.0}, BASELINE)
    assert [(r.name, r.value) for r in found] == [("extractor_f1", None)]
    assert regressions({"extractor_f1": float("nan")}, BASELINE)[0].line().startswith("extractor_f1 no value")


def test_an_update_keeps_each_tolerance_and_leaves_timings_out():
    metrics = {"scope_in_scope_recall": 0.95, "seconds_per_turn_median": 3.5, "cases": 168, "cross_customer_leaks": 0}
    updated = updated_baseline(BASELINE, metrics)
    assert updated["scope_in_scope_recall"] == {"value": 0.95, "tolerance": 0.01, "higher_is_better": True}
    assert updated["cross_customer_leaks"] == {"value": 0, "tolerance": 0.01, "higher_is_better": False}
    assert "seconds_per_turn_median" not in updated and "cases" not in updated
    assert updated["extractor_f1"] == BASELINE["extractor_f1"]  # another suite's entry stays
    assert not gated("pii_recall", True) and not gated("x", float("inf")) and gated("pii_recall", 1.0)


def test_a_written_baseline_reads_back(tmp_path):
    path = tmp_path / "baseline.json"
    write_baseline(path, BASELINE)
    assert load_baseline(path) == BASELINE
    assert list(json.loads(path.read_text())["metrics"]) == sorted(BASELINE)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "There is no baseline file"),
        ("{not json", "is not a baseline file (JSONDecodeError"),
        ('{"values": {}}', "is not a baseline file (KeyError"),
        ('{"metrics": {"f1": {"value": "high", "tolerance": 0, "higher_is_better": true}}}', "ValueError"),
        ('{"metrics": {"f1": {"value": 1, "tolerance": -1, "higher_is_better": true}}}', "tolerance must be 0"),
        ('{"metrics": {"f1": {"value": 1, "tolerance": 0, "higher_is_better": "yes"}}}', "true or false"),
        ('{"metrics": []}', "AttributeError"),
    ],
)
def test_a_bad_baseline_is_a_one_line_error(tmp_path, text, message):
    path = tmp_path / "baseline.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(BankassistError, match=re.escape(message)) as caught:
        load_baseline(path)
    assert "\n" not in str(caught.value)


def test_the_cli_prints_each_regression_then_fails_and_an_update_makes_the_run_the_reference(tmp_path, capsys):
    from evals.runner import gate, update_baseline

    path = tmp_path / "baseline.json"
    with pytest.raises(BankassistError, match="^1 metrics dropped beyond their tolerance in "):
        gate(path, BASELINE, {"extractor_f1": 0.5, "scope_in_scope_recall": 0.95})
    assert "regression: extractor_f1 0.5, baseline 0.7" in capsys.readouterr().err
    update_baseline(path, BASELINE, {"extractor_f1": 0.5})
    assert load_baseline(path)["extractor_f1"]["value"] == 0.5
    gate(path, load_baseline(path), {"extractor_f1": 0.5})
    assert "1 metrics compared, none dropped" in capsys.readouterr().err


def test_judge_failures_are_lower_is_better_and_request_counts_not_gated():
    from evals.baseline import gated, updated_baseline

    entries = updated_baseline({}, {"rag_faithfulness_parse_failures": 2.0, "rag_judge_requests": 40.0})
    assert entries["rag_faithfulness_parse_failures"]["higher_is_better"] is False
    assert not gated("rag_judge_requests", 40.0) and "rag_judge_requests" not in entries


def test_shares_of_cut_or_fallback_answers_are_lower_is_better():
    from evals.baseline import updated_baseline

    entries = updated_baseline({}, {"rag_grounding_cut_share": 0.0, "rag_fact_accuracy": 0.4})
    assert entries["rag_grounding_cut_share"]["higher_is_better"] is False
    assert entries["rag_fact_accuracy"]["higher_is_better"] is True
