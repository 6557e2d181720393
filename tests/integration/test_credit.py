"""Credit reports end to end: seeding, importing, batch summaries and the extraction eval, on the real model."""

import json

import pytest

from tools.credit_diff import diff_reports
from tools.credit_facts import parse_facts, verify_facts
from tools.demo_data import demo_customers


def report_json(customer_index=2, snapshot=-1, **changes):
    report = json.loads(demo_customers(count=customer_index + 1)[customer_index][2][snapshot].model_dump_json())
    return report | changes


def test_seed_writes_the_requested_demo_customers(cli):
    assert cli("seed", "--customers", "60").code == 0
    customers = cli("customers", "--json").json()
    assert len(customers) == 60 and all(c["reports"] >= 2 for c in customers)


def test_an_imported_single_report_is_answered_as_the_only_one(cli, tmp_path):
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report_json()))
    run = cli("import-report", str(path), "--customer", "N0001", "--name", "Nina New")
    assert run.code == 0 and "for N0001" in run.stdout, run.stderr
    out = cli("ask", "What changed in my credit report?", "--customer", "N0001", "--json").json()
    assert out["route"] == "credit" and "No earlier report exists" in out["answer"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"score_model": "FICO 99"}, "score_model"),
        ({"report_date": "2999-01-01"}, "report_date"),
        ({"personal": None}, "personal"),
    ],
)
def test_an_invalid_report_names_the_field_and_stores_nothing(cli, tmp_path, change, field):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(report_json(**change)))
    run = cli("import-report", str(path), "--customer", "C0001")
    assert run.code == 1 and field in run.stderr and len(run.stderr.strip().splitlines()) == 1
    c0001 = [c for c in cli("customers", "--json").json() if c["id"] == "C0001"][0]
    assert c0001["reports"] == 2


def test_a_negative_balance_and_malformed_json_are_refused(cli, tmp_path):
    report = report_json()
    report["tradelines"][0]["balance"] = -10
    bad, broken = tmp_path / "bad.json", tmp_path / "broken.json"
    bad.write_text(json.dumps(report))
    broken.write_text("{not json")
    negative = cli("import-report", str(bad), "--customer", "C0001")
    assert negative.code == 1 and "tradelines.0.balance" in negative.stderr
    malformed = cli("import-report", str(broken), "--customer", "C0001")
    assert malformed.code == 1 and "not valid" in malformed.stderr and "Traceback" not in malformed.stderr


def test_batch_summaries_state_only_checked_facts(cli, tmp_path):
    out = tmp_path / "summaries.jsonl"
    run = cli("summarize", "--customer", "C0001", "--customer", "C0005", "--out", str(out), timeout=600)
    assert run.code == 0, run.stderr
    summaries = [json.loads(line) for line in out.read_text().splitlines()]
    assert [s["customer_id"] for s in summaries] == ["C0001", "C0005"]
    histories = {cid: reports for cid, _, reports in demo_customers(count=5)}
    for summary in summaries:
        older, newer = histories[summary["customer_id"]][-2:]
        assert summary["report_dates"] == [newer.report_date.isoformat(), older.report_date.isoformat()]
        assert summary["summary"] and summary["facts"] and summary["plan"]
        assert summary["facts_source"] == "extractor"
        assert not verify_facts(parse_facts("\n".join(summary["facts"])).facts, diff_reports(older, newer)).unsupported
    # C0001 has four facts: its summary once ran out of tokens before the first step of the plan.
    first_step = summaries[0]["plan"][0].rstrip(".").lower()
    assert first_step in summaries[0]["summary"].lower(), summaries[0]["summary"]


def test_summarize_needs_all_or_customers(cli):
    run = cli("summarize")
    assert run.code == 1 and "--all" in run.stderr


def test_credit_eval_scores_the_fine_tuned_extractor_above_the_base(cli):
    run = cli("eval", "--suite", "credit", "--pairs", "2", "--json", timeout=900)  # two pairs: CI time
    assert run.code == 0, run.stderr
    metrics = run.json()
    assert {"extractor_f1", "extractor_format_valid", "base_f1", "rouge_l"} <= set(metrics)
    grounding = metrics["extractor_answer_grounding"]
    assert grounding is None or 0 <= grounding <= 1
    assert metrics["extractor_f1"] >= 0.4 and metrics["extractor_format_valid"] == 1.0
    assert metrics["base_f1"] < metrics["extractor_f1"] and 0 < metrics["rouge_l"] <= 1
    assert all(0 < metrics[f"{model}_bertscore_f1"] <= 1 for model in ("extractor", "base"))
