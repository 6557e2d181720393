"""Scope guard throughput: the shipped escalation threshold against others, runs alternated in one process.

    python -m evals.bench_scope [--runs 3] [--compare 0.9 1.01]

Prints queries/s over CLINC150 val + oos_val, the project's test split and the held-out BANKING77 slice (the
guard alone, in `bankassist route`'s batches, after loading), and the share of each set that escalates to the
transformer. 1.01 escalates every query: the full head alone. "no intent head" is the shipped guard without
the head that names the BANKING77 intent (it runs the transformer on rows the fast head gave to those
intents). Needs BANKASSIST_EXTERNAL_DATA_DIR.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from agent.scope.weights import ScopeWeights
from agent.service import open_guard
from agent.settings import get_settings
from evals.intent import held_out_banking77
from evals.scope import measure_throughput
from tools.datasets import clinc150, project_queries, require_data_dir


def escalating_at(weights: ScopeWeights, escalate: float) -> ScopeWeights:
    """The same heads with another escalation threshold."""
    return replace(weights, thresholds=replace(weights.thresholds, escalate=escalate))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", type=float, nargs="*", default=[0.9, 1.01])
    args = parser.parse_args()
    data_dir = require_data_dir(get_settings().external_data_dir)
    sets = {
        "clinc150_val": [q.text for q in clinc150(data_dir, ["val", "oos_val"])],
        "project_test": [q.text for q in project_queries("test")],
    }
    guard = open_guard()
    sets["banking77_held_out"] = [q.text for q in held_out_banking77(guard, data_dir)]
    shipped = guard.weights
    variants = {f"shipped ({shipped.thresholds.escalate})": shipped}
    variants |= {f"escalate {value}": escalating_at(shipped, value) for value in args.compare}
    if shipped.intent is not None:  # what naming the BANKING77 intent costs
        variants["no intent head"] = replace(shipped, intent=None)
    for name, texts in sets.items():
        print(f"{name} ({len(texts)} queries)")
        rates: dict[str, list[float]] = {label: [] for label in variants}
        shares = {}
        for _ in range(args.runs):  # alternate, so a slow spell of the machine hits every variant
            for label, weights in variants.items():
                guard.weights = weights
                measured = measure_throughput(guard, texts)
                rates[label].append(measured["queries_per_second"])
                shares[label] = measured["escalated_share"]
        for label in variants:
            runs = ", ".join(f"{rate:,.0f}" for rate in rates[label])
            print(f"  {label:<16} escalated {shares[label]:.0%}  queries/s: {runs}")


if __name__ == "__main__":
    main()
