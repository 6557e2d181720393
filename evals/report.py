"""Render eval results: a Markdown report and a flat metrics.json."""

from __future__ import annotations

import json
from pathlib import Path

from evals.scope import PREDICTED, ScopeSuite

TARGETS = {"in_scope_recall": 0.97, "oos_recall": 0.95, "banking_credit_accuracy": 0.95}
THROUGHPUT_TARGET = 500.0


def scope_markdown(suite: ScopeSuite) -> str:
    """Headline table against the targets, then one confusion matrix per set."""
    lines = ["# Scope guard", "", "| set | " + " | ".join(TARGETS) + " | route_accuracy | clarify_rate |"]
    lines.append("| --- " * (len(TARGETS) + 3) + "|")
    for result in suite.sets:
        cells = [_mark(result.metrics[key], target) for key, target in TARGETS.items()]
        cells += [_mark(result.metrics["route_accuracy"], 0), _mark(result.metrics["clarify_rate"], 0)]
        lines.append(f"| {result.name} | " + " | ".join(cells) + " |")
    qps = suite.throughput["queries_per_second"]
    lines += [
        "",
        f"Throughput: {_mark(qps, THROUGHPUT_TARGET)} queries/s "
        f"({suite.throughput['escalated_share']:.0%} of CLINC150 val escalated to the transformer head).",
        f"Thresholds: {suite.thresholds}.",
    ]
    for result in suite.sets:
        lines += ["", f"## {result.name}: gold (rows) x decision (columns)", ""]
        lines += ["| gold | " + " | ".join(PREDICTED) + " |", "| --- " * (len(PREDICTED) + 1) + "|"]
        for gold, row in result.confusion.items():
            lines.append(f"| {gold} | " + " | ".join(str(row[p]) for p in PREDICTED) + " |")
    return "\n".join(lines) + "\n"


def write_report(out_dir: Path, markdown: str, metrics: dict[str, float | None]) -> None:
    """report.md and metrics.json in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.md").write_text(markdown, encoding="utf-8")
    text = json.dumps(metrics, indent=2, sort_keys=True, allow_nan=False)
    (out_dir / "metrics.json").write_text(text + "\n", encoding="utf-8")


def _mark(value: float | None, target: float) -> str:
    """The value, flagged when it misses its target; n/a when the set has nothing to count."""
    if value is None:
        return "n/a"
    text = f"{value:.0f}" if value >= 10 else f"{value:.3f}"
    return text if value >= target else f"{text} (below {target:g})"
