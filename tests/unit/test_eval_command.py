"""`bankassist eval --suite all` and Ctrl-C, with the suites replaced by stand-ins (their own tests run them)."""

import json
import sys

import pytest

import evals.runner as runner
import ui.cli as cli


def run_eval(monkeypatch, interrupt_at: str | None, *args: str) -> int:
    """Run `bankassist eval` in this process with stand-in suites; Ctrl-C arrives in `interrupt_at`."""

    def stand_in(suite, *_):
        if suite == interrupt_at:
            raise KeyboardInterrupt
        return f"# {suite}\n", {f"{suite}_metric": 0.5}, []

    monkeypatch.setattr(runner, "run_one_suite", stand_in)
    monkeypatch.setattr(sys, "argv", ["bankassist", "eval", *args])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    return int(exited.value.code or 0)


def test_all_runs_every_suite_into_one_report(isolated_settings, tmp_path, monkeypatch, capsys):
    assert run_eval(monkeypatch, None, "--suite", "all", "--json", "--out", str(tmp_path / "r")) == 0
    metrics = json.loads(capsys.readouterr().out)
    suites = ("scope", "retrieval", "rag", "credit", "advisor", "safety", "conversations")
    assert metrics == {f"{suite}_metric": 0.5 for suite in suites}
    headings = [line for line in (tmp_path / "r" / "report.md").read_text().splitlines() if line.startswith("# ")]
    assert headings == ["# Eval report", *(f"# {suite}" for suite in suites)]


def test_ctrl_c_leaves_a_partial_report_and_no_baseline(isolated_settings, tmp_path, monkeypatch, capsys):
    baseline = tmp_path / "baseline.json"
    args = ["--suite", "all", "--out", str(tmp_path / "r"), "--update-baseline", "--baseline", str(baseline)]
    assert run_eval(monkeypatch, "credit", *args) == 130
    report = (tmp_path / "r" / "report.md").read_text()
    assert report.startswith("# Eval report") and "# scope" in report and "# safety" not in report
    assert "Ctrl-C stopped the credit suite" in report
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics == {"scope_metric": 0.5, "retrieval_metric": 0.5, "rag_metric": 0.5}
    assert not baseline.exists()  # a partial run never becomes the reference
    err = capsys.readouterr().err
    assert "interrupted during the credit suite" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--suite", "rag", "--judge-url", "http://127.0.0.1:9/v1"], "Give both --judge-url and --judge-model"),
        (["--suite", "scope", "--judge-url", "http://x/v1", "--judge-model", "m"], "use --suite rag or --suite all"),
        (["--suite", "rag", "--judge-url", "ftp://x", "--judge-model", "m"], "must be an http(s) URL"),
    ],
)
def test_judge_options_are_checked_before_any_suite_runs(isolated_settings, monkeypatch, capsys, args, message):
    assert run_eval(monkeypatch, None, *args) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "_metric" not in err


def test_an_unreachable_judge_is_one_clear_error_before_the_turns(isolated_settings, monkeypatch, capsys):
    import evals.rag as rag

    monkeypatch.setattr(rag, "answer_questions", lambda *_: pytest.fail("turns ran before the judge was checked"))
    monkeypatch.setattr(sys, "argv", ["bankassist", "eval", "--suite", "rag", "--judge-url", "http://127.0.0.1:9/v1"])
    monkeypatch.setattr(sys, "argv", [*sys.argv, "--judge-model", "judge"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    err = capsys.readouterr().err
    assert exited.value.code == 1 and "The judge at http://127.0.0.1:9/v1 did not answer" in err
    assert "Traceback" not in err
