"""The regression gate: compare an eval run's metrics with a committed baseline; rewrite it on request.

The baseline is JSON: `{"metrics": {name: {"value": v, "tolerance": t, "higher_is_better": bool}}}`.
A run regresses when a metric it measured is worse than its baseline value by more than the tolerance,
or has no value where the baseline has one. Metrics the run did not measure (other suites) are not
compared, so one baseline serves every suite. Timings are never gated: they depend on the machine.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.errors import BankassistError

DEFAULT_PATH = Path(__file__).parent / "baseline.json"
DEFAULT_TOLERANCE = 0.01
# Timings and sizes describe the machine or the data, not quality; the escalated share is the guard's cost;
# the share of BANKING77 sent to `account` describes that data (customers' own wording), and neither way is better.
NOT_GATED = re.compile(
    r"seconds|per_second|ms_per|throughput|_count$|^cases$|^attacks$|^pairs$|questions$|escalated|requests$"
    r"|banking77_account_share"
)
LOWER_IS_BETTER = re.compile(
    r"attack_success|leaks|near_miss|changed_by|output_check_trips|errors|lost|clarify_rate|failures|_share$|template_rate"
)


@dataclass(frozen=True)
class Regression:
    """A gated metric that got worse than its baseline allows."""

    name: str
    value: float | None
    baseline: float
    tolerance: float
    higher_is_better: bool

    def line(self) -> str:
        """`scope_in_scope_recall 0.900, baseline 0.925 (tolerance 0.01, higher is better)`."""
        shown = "no value" if self.value is None else f"{self.value:.4g}"
        better = "higher" if self.higher_is_better else "lower"
        return f"{self.name} {shown}, baseline {self.baseline:.4g} (tolerance {self.tolerance:g}, {better} is better)"


def load_baseline(path: Path) -> dict[str, dict[str, Any]]:
    """The baseline's metric entries; a missing or malformed file is a one-line error."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["metrics"]
        for entry in entries.values():
            _check_entry(entry)
    except FileNotFoundError as exc:
        raise BankassistError(f"There is no baseline file {path}; make one with --update-baseline.") from exc
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BankassistError(f"{path} is not a baseline file ({type(exc).__name__}: {exc}).") from exc
    return dict(entries)


def _check_entry(entry: dict[str, Any]) -> None:
    """An entry has a numeric value and tolerance and a direction (raises KeyError, TypeError or ValueError)."""
    if not isinstance(entry["higher_is_better"], bool):
        raise TypeError("higher_is_better must be true or false")
    if float(entry["tolerance"]) < 0 or not math.isfinite(float(entry["value"])):
        raise ValueError("a tolerance must be 0 or more and a value finite")


def regressions(metrics: dict[str, Any], baseline: dict[str, dict[str, Any]]) -> list[Regression]:
    """The run's metrics that are worse than the baseline allows, in name order."""
    found = []
    for name in sorted(set(metrics) & set(baseline)):
        entry, value = baseline[name], metrics[name]
        base, tolerance, higher = float(entry["value"]), float(entry["tolerance"]), bool(entry["higher_is_better"])
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        worse = missing or (base - value > tolerance if higher else value - base > tolerance)
        if worse:
            found.append(Regression(name, None if missing else float(value), base, tolerance, higher))
    return found


def gated(name: str, value: Any) -> bool:
    """Whether a metric belongs in the baseline: a number that is not a timing or a count of cases."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return is_number and NOT_GATED.search(name) is None


def updated_baseline(
    baseline: dict[str, dict[str, Any]], metrics: dict[str, Any], tolerance: float = DEFAULT_TOLERANCE
) -> dict[str, dict[str, Any]]:
    """The baseline with this run's gated metrics as the new values; a metric's own tolerance is kept."""
    entries = dict(baseline)
    for name, value in metrics.items():
        if gated(name, value):
            old = baseline.get(name, {})
            entries[name] = {
                "value": value,
                "tolerance": old.get("tolerance", tolerance),
                "higher_is_better": old.get("higher_is_better", LOWER_IS_BETTER.search(name) is None),
            }
    return entries


def write_baseline(path: Path, entries: dict[str, dict[str, Any]]) -> None:
    """Write the baseline, sorted, so that its diff in review shows what moved."""
    text = json.dumps({"metrics": dict(sorted(entries.items()))}, indent=2, allow_nan=False)
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise BankassistError(f"Cannot write the baseline {path}: {exc.strerror or type(exc).__name__}.") from exc
