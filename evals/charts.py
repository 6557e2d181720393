"""The eval report's plots: what to draw (data only, from the suites and their metrics) and PNGs of it."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from evals.credit import CreditSuite
    from evals.rag import RagSuite
    from evals.scope import ScopeSuite

ROUTES = ("banking", "credit", "smalltalk", "out_of_scope")
# Per-category bars drawn from the flat metrics: title, key prefix, keys to leave out.
CATEGORY_BARS = (
    ("Retrieval recall@5 by question kind", "recall_at_5_", ()),
    ("Attack success rate by category (lower is better)", "attack_success_rate_", ("before_output_checks",)),
    ("PII recall by entity", "pii_recall_", ("all",)),
    ("Simulated customers: pass rate by expectation kind", "conversation_pass_rate_", ()),
)


@dataclass(frozen=True)
class Chart:
    """One plot's data: bars (label -> value), a heatmap (rows x columns), or histograms (series -> values)."""

    title: str
    kind: Literal["bars", "heatmap", "histogram"]
    labels: list[str] = field(default_factory=list)  # bars and heatmap rows; histogram series
    columns: list[str] = field(default_factory=list)  # heatmap only
    values: list[list[float]] = field(default_factory=list)  # one row per label
    target: float | None = None  # a dashed line on bar charts


def scope_charts(suite: ScopeSuite) -> list[Chart]:
    """A confusion matrix per set (gold rows x decisions)."""
    from evals.scope import PREDICTED

    charts = []
    for result in suite.sets:
        rows = list(result.confusion)
        matrix = [[float(result.confusion[row][column]) for column in PREDICTED] for row in rows]
        charts.append(Chart(f"Scope guard confusion: {result.name}", "heatmap", rows, list(PREDICTED), matrix))
    return charts


def rag_charts(suite: RagSuite) -> list[Chart]:
    """The distribution of each RAG metric over the answers it scored."""
    names = sorted({name for sample in suite.samples for name in sample.scores})
    series = [[v for s in suite.samples if (v := s.scores.get(name)) is not None] for name in names]
    return [Chart("RAG score distributions", "histogram", names, values=series)]


def credit_charts(suite: CreditSuite) -> list[Chart]:
    """The per-pair F1 of the fine-tuned extractor and of the prompted base."""
    series = [list(suite.extractor.pair_f1), list(suite.base.pair_f1)]
    return [Chart("Credit extraction F1 per pair", "histogram", ["fine-tuned", "base, prompted"], values=series)]


def metric_charts(metrics: dict[str, float | None]) -> list[Chart]:
    """Per-category bars found in the flat metrics (each suite's own keys), and scope recall per route."""
    charts = []
    for title, prefix, skip in CATEGORY_BARS:
        found = {
            key.removeprefix(prefix): value
            for key, value in metrics.items()
            if key.startswith(prefix) and value is not None and key.removeprefix(prefix) not in skip
        }
        if found:
            charts.append(Chart(title, "bars", list(found), values=[[v] for v in found.values()]))
    for name in _scope_sets(metrics):
        recall = {route: metrics.get(f"scope_{name}_{route}_recall") for route in ROUTES}
        present = {route: value for route, value in recall.items() if value is not None}
        if present:
            values = [[v] for v in present.values()]
            charts.append(Chart(f"Scope recall per route: {name}", "bars", list(present), values=values))
    return charts


def _scope_sets(metrics: dict[str, float | None]) -> list[str]:
    """The scope sets the metrics cover ("clinc150_val", ...), from their scope_<set>_route_accuracy keys."""
    head, tail = "scope_", "_route_accuracy"
    keys = [key for key in metrics if key.startswith(head) and key.endswith(tail) and len(key) > len(head + tail)]
    return sorted(key[len(head) : -len(tail)] for key in keys)


def render_png(chart: Chart) -> bytes:
    """The chart as a PNG (matplotlib's Agg backend: no display needed)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 3.6), dpi=100, layout="constrained")
    axes = figure.subplots()
    axes.set_title(chart.title, fontsize=10)
    if chart.kind == "bars":
        axes.barh(chart.labels, [row[0] for row in chart.values], color="#3b6ea5")
        axes.set_xlim(0, 1)
        axes.invert_yaxis()
    elif chart.kind == "heatmap":
        image = axes.imshow(chart.values, cmap="Blues")
        axes.set_xticks(range(len(chart.columns)), chart.columns, rotation=30, ha="right", fontsize=8)
        axes.set_yticks(range(len(chart.labels)), chart.labels, fontsize=8)
        darkest = max((max(row) for row in chart.values if row), default=0.0)
        for y, row in enumerate(chart.values):
            for x, count in enumerate(row):
                colour = "white" if count > darkest / 2 else "black"  # readable on dark cells
                axes.text(x, y, f"{count:.0f}", ha="center", va="center", fontsize=7, color=colour)
        figure.colorbar(image, ax=axes)
    else:
        axes.hist(chart.values, bins=10, range=(0, 1), label=chart.labels)
        axes.legend(fontsize=7)
    if chart.target is not None:
        axes.axvline(chart.target, linestyle="--", color="#b03030")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
