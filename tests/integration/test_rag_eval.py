"""`bankassist eval --suite rag`: golden questions through the real graph and the small model, RAGAS-scored."""

import json

from evals.baseline import DEFAULT_PATH as BASELINE
from evals.rag_samples import LOCAL_METRICS


def test_rag_eval_scores_real_answers_and_reports_the_worst(cli, tmp_path):
    out = tmp_path / "report"
    run = cli("eval", "--suite", "rag", "--limit", "2", "--json", "--out", str(out), timeout=400)
    assert run.code == 0, run.stderr
    metrics = run.json()
    # --limit applies to each set: 2 golden and 2 customer-wording questions answerable, 2 unanswerable
    assert metrics["rag_questions"] == 4.0 and metrics == json.loads((out / "metrics.json").read_text())
    for name in LOCAL_METRICS:
        value = metrics[f"rag_{name}"]
        assert value is None or 0.0 <= value <= 1.0, name
    assert metrics["rag_context_recall"] is not None and metrics["rag_semantic_similarity"] is not None
    report = (out / "report.md").read_text()
    # The report lists all six questions, the two unanswerable ones too (they have no reference answer)
    assert "# RAG answers" in report and "## Worst 6 answers" in report and "Reference:" in report
    assert "No judge given" in report
    assert "rag: answering" in run.stderr  # the progress bar, on stderr so --json stays one line


def test_the_banking_answers_hold_their_baseline(cli, tmp_path):
    """The gate on what customers read: 40 questions of each set against `evals/baseline.json`'s rag entries.

    Without it, routing 16% of these banking questions to the account route went unnoticed for two days.
    """
    run = cli(
        "eval", "--suite", "rag", "--limit", "40", "--baseline", str(BASELINE), "--out", str(tmp_path), timeout=900
    )
    assert run.code == 0, run.stderr[-1500:]
    assert "none dropped beyond its tolerance" in run.stderr + run.stdout
