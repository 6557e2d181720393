"""`bankassist eval --suite all` and Ctrl-C, with the suites replaced by stand-ins (their own tests run them)."""

import json
import sys

import pytest

import ui.cli as cli


def run_eval(monkeypatch, interrupt_at: str | None, *args: str) -> int:
    """Run `bankassist eval` in this process with stand-in suites; Ctrl-C arrives in `interrupt_at`."""

    def stand_in(suite, *_):
        if suite == interrupt_at:
            raise KeyboardInterrupt
        return f"# {suite}\n", {f"{suite}_metric": 0.5}

    monkeypatch.setattr(cli, "_run_one_suite", stand_in)
    monkeypatch.setattr(sys, "argv", ["bankassist", "eval", *args])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    return int(exited.value.code or 0)


def test_all_runs_every_suite_into_one_report(isolated_settings, tmp_path, monkeypatch, capsys):
    assert run_eval(monkeypatch, None, "--suite", "all", "--json", "--out", str(tmp_path / "r")) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics == {f"{suite}_metric": 0.5 for suite in ("scope", "retrieval", "credit", "safety")}
    headings = [line for line in (tmp_path / "r" / "report.md").read_text().splitlines() if line]
    assert headings == ["# scope", "# retrieval", "# credit", "# safety"]


def test_ctrl_c_leaves_a_partial_report_and_no_baseline(isolated_settings, tmp_path, monkeypatch, capsys):
    baseline = tmp_path / "baseline.json"
    args = ["--suite", "all", "--out", str(tmp_path / "r"), "--update-baseline", "--baseline", str(baseline)]
    assert run_eval(monkeypatch, "credit", *args) == 130
    report = (tmp_path / "r" / "report.md").read_text()
    assert report.startswith("# scope") and "Ctrl-C stopped the credit suite" in report and "# safety" not in report
    assert json.loads((tmp_path / "r" / "metrics.json").read_text()) == {"scope_metric": 0.5, "retrieval_metric": 0.5}
    assert not baseline.exists()  # a partial run never becomes the reference
    err = capsys.readouterr().err
    assert "interrupted during the credit suite" in err and "Traceback" not in err
