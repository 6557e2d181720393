"""The scope suite: confusion matrices, recalls and throughput of the guard on labelled sets."""

# Sets: CLINC150 val + oos_val (the thresholds are tuned on it, the heads never see it), the project's
# held-out split, the held-out framed attacks and look-alikes (finetune/attack_templates.py: frames and
# tasks the guard never trained on), and the slice of BANKING77 train the guard was trained without (all
# banking; an older guard trained on all of it gets the whole train set, which only shows fit). The same
# slice scores the guard's 77-way intent (evals/intent.py).
# A `clarify` decision counts as neither answered nor refused, so it lowers both recalls.

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from agent.scope.guard import BATCH, ScopeGuard
from agent.state import ROUTES
from evals.account_route import AccountRouteResult, evaluate_account_routes
from evals.intent import IntentResult, evaluate_intent, held_out_banking77
from finetune.attack_templates import attack_set
from tools.datasets import LabeledQuery, banking77_train, clinc150, project_queries

PREDICTED = (*ROUTES, "clarify")
WORST = 10  # misroutes listed per set in the report
IN_SCOPE_ROUTES: set[str] = set(ROUTES[:3])
ALL_ROUTES: set[str] = set(ROUTES)


@dataclass
class SetResult:
    """One labelled set's confusion matrix (gold route x decision) and the metrics derived from it."""

    name: str
    confusion: dict[str, dict[str, int]]
    metrics: dict[str, float | None] = field(default_factory=dict)
    worst: list[Misroute] = field(default_factory=list)  # the most confident wrong decisions


@dataclass(frozen=True)
class Misroute:
    """A query the guard sent to the wrong route (a clarifying question counts as wrong too)."""

    text: str
    gold: str
    decided: str
    confidence: float


def scope_sets(root: Path, held_out: list[LabeledQuery]) -> dict[str, list[LabeledQuery]]:
    """The labelled sets the suite reports on, by name (`held_out`: the guard's unseen BANKING77 slice)."""
    banking77 = {"banking77_held_out": held_out} if held_out else {"banking77_train": banking77_train(root)}
    return {
        "clinc150_val": clinc150(root, ["val", "oos_val"]),
        "project_test": project_queries("test"),
        "attacks_held_out": attack_set().held_out,
        **banking77,
    }


def evaluate_set(name: str, guard: ScopeGuard, queries: list[LabeledQuery]) -> SetResult:
    """Classify every query and count gold route against decision."""
    texts = [q.text for q in queries]
    decisions = list(tqdm(guard.classify_in_batches(texts), total=len(texts), desc=f"scope: {name}", unit="query"))
    confusion: dict[str, dict[str, int]] = {gold: dict.fromkeys(PREDICTED, 0) for gold in ROUTES}
    misroutes = []
    for query, decision in zip(queries, decisions, strict=True):
        confusion[query.route][decision.route] += 1
        if decision.route != query.route:
            misroutes.append(Misroute(query.text, query.route, decision.route, decision.confidence))
    worst = sorted(misroutes, key=lambda m: -m.confidence)[:WORST]
    return SetResult(name, confusion, scope_metrics(confusion), worst)


def scope_metrics(confusion: dict[str, dict[str, int]]) -> dict[str, float | None]:
    """In-scope and out-of-scope recall, banking-vs-credit accuracy, per-route precision and recall."""

    def total(golds: set[str], decided: set[str]) -> int:
        """Queries with a gold route in `golds` and a decision in `decided`."""
        return sum(confusion[g][d] for g in golds for d in decided)

    metrics = {
        "in_scope_recall": _ratio(total(IN_SCOPE_ROUTES, IN_SCOPE_ROUTES), total(IN_SCOPE_ROUTES, set(PREDICTED))),
        "oos_recall": _ratio(confusion["out_of_scope"]["out_of_scope"], total({"out_of_scope"}, set(PREDICTED))),
        "route_accuracy": _ratio(sum(confusion[r][r] for r in ROUTES), total(ALL_ROUTES, set(PREDICTED))),
        "banking_credit_accuracy": _ratio(
            confusion["banking"]["banking"] + confusion["credit"]["credit"],
            total({"banking", "credit"}, {"banking", "credit"}),
        ),
        "clarify_rate": _ratio(total(ALL_ROUTES, {"clarify"}), total(ALL_ROUTES, set(PREDICTED))),
    }
    for route in ROUTES:
        metrics[f"{route}_precision"] = _ratio(confusion[route][route], total(ALL_ROUTES, {route}))
        metrics[f"{route}_recall"] = _ratio(confusion[route][route], total({route}, set(PREDICTED)))
    return metrics


def measure_throughput(guard: ScopeGuard, texts: list[str]) -> dict[str, float]:
    """Queries per second through the guard in `route`'s batches, after a warm-up batch."""
    guard.classify(texts[:BATCH])
    started = time.perf_counter()
    for _ in guard.classify_in_batches(texts):
        pass
    seconds = time.perf_counter() - started
    fast = guard.fast_probabilities(texts)
    escalated = float(np.mean(fast.max(axis=1) < guard.weights.thresholds.escalate))
    return {"queries_per_second": round(len(texts) / seconds, 1), "escalated_share": round(escalated, 3)}


def _ratio(numerator: int, denominator: int) -> float | None:
    """A rounded share; None (JSON null) when there is nothing to count."""
    return round(numerator / denominator, 4) if denominator else None


@dataclass
class ScopeSuite:
    """Every set's result, the guard's throughput and its thresholds."""

    sets: list[SetResult]
    throughput: dict[str, float]
    thresholds: dict[str, float]
    intent: IntentResult | None = None  # None for a guard trained on all of BANKING77
    accounts: AccountRouteResult | None = None

    def metrics(self) -> dict[str, float | None]:
        """Flat metric -> value; the headline keys are on CLINC150 val + oos_val (external data)."""
        flat: dict[str, float | None] = {}
        for result in self.sets:
            flat.update({f"scope_{result.name}_{key}": value for key, value in result.metrics.items()})
        headline = self.sets[0].metrics
        for key in ("in_scope_recall", "oos_recall", "route_accuracy", "banking_credit_accuracy"):
            flat[f"scope_{key}"] = headline[key]
        flat.update({f"scope_{key}": value for key, value in self.throughput.items()})
        if self.intent:
            flat.update(self.intent.metrics())
        if self.accounts:
            flat.update(self.accounts.metrics())
        return flat


def run_scope_suite(guard: ScopeGuard, data_dir: Path) -> ScopeSuite:
    """Evaluate every set, then time the guard on CLINC150 val."""
    held_out = held_out_banking77(guard, data_dir)
    sets = scope_sets(data_dir, held_out)
    results = [evaluate_set(name, guard, queries) for name, queries in sets.items()]
    throughput = measure_throughput(guard, [q.text for q in sets["clinc150_val"]])
    t = guard.weights.thresholds
    thresholds = {"answer": t.answer, "clarify": t.clarify, "escalate": t.escalate}
    intent = evaluate_intent(guard, held_out) if held_out else None
    return ScopeSuite(results, throughput, thresholds, intent, evaluate_account_routes(guard, held_out))
