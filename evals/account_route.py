"""The routes after the guard's heads: `account` (own money) and `handoff` (a person), on labelled queries.

Five sets: the project's own queries the parsers were tuned on (`data/account_routes.jsonl`: own-account
requests, policy questions on the same topics, requests for a person), a test set written after the
parsers and never tuned on (`data/account_routes_test.jsonl`), a blind set written by helpers who saw
neither the parsers nor the other sets (`data/account_routes_blind.jsonl`), a second blind set written
the same way and read only after the account head was built (`data/account_routes_blind2.jsonl`, the
headline), and the BANKING77 slice the guard never trained on, whose gold route is `banking` for the
guard but which is mostly customers' questions about their own money: there the share sent to `account`
is shown, not scored.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from agent.scope.account_route import with_account_route
from agent.scope.guard import ScopeGuard
from tools.datasets import LabeledQuery

DATA = Path(__file__).parent / "data"
SETS = {
    "tuning": DATA / "account_routes.jsonl",
    "test": DATA / "account_routes_test.jsonl",
    "blind": DATA / "account_routes_blind.jsonl",
    "blind2": DATA / "account_routes_blind2.jsonl",
}
GOLDS = ("account", "banking", "handoff")


@dataclass
class RouteSet:
    """One labelled set: gold x decided counts and the misroutes."""

    name: str
    confusion: dict[str, Counter[str]]
    misroutes: list[tuple[str, str, str]]

    def metrics(self) -> dict[str, float | None]:
        """Accuracy, account precision and recall, handoff recall."""
        total = sum(row.total() for row in self.confusion.values())
        right = sum(self.confusion[g][g] for g in GOLDS)
        sent_to_account = sum(row["account"] for row in self.confusion.values())
        account, handoff = self.confusion["account"], self.confusion["handoff"]
        prefix = f"scope_account_{self.name}"
        return {
            f"{prefix}_accuracy": ratio(right, total),
            f"{prefix}_account_precision": ratio(account["account"], sent_to_account),
            f"{prefix}_account_recall": ratio(account["account"], account.total()),
            f"{prefix}_handoff_recall": ratio(handoff["handoff"], handoff.total()),
        }


@dataclass
class AccountRouteResult:
    """The labelled sets, and where held-out BANKING77 went."""

    sets: list[RouteSet]
    banking77_shares: dict[str, float]

    def metrics(self) -> dict[str, float | None]:
        """Each set's metrics and BANKING77's account share."""
        flat = {key: value for route_set in self.sets for key, value in route_set.metrics().items()}
        return {**flat, "scope_banking77_account_share": self.banking77_shares.get("account", 0.0)}


def evaluate_account_routes(guard: ScopeGuard, banking77: list[LabeledQuery]) -> AccountRouteResult:
    """Route the labelled sets and the BANKING77 slice through the guard and then the wording's routes."""
    sets = [evaluate_set(guard, name, path) for name, path in SETS.items()]
    shares = Counter(routed(guard, [q.text for q in banking77]))
    total = sum(shares.values())
    return AccountRouteResult(sets, {k: round(v / total, 4) for k, v in shares.items()} if total else {})


def evaluate_set(guard: ScopeGuard, name: str, path: Path) -> RouteSet:
    """One labelled set's confusion and misroutes."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    confusion = {gold: Counter[str]() for gold in GOLDS}
    misroutes = []
    for row, route in zip(rows, routed(guard, [row["text"] for row in rows]), strict=True):
        confusion[row["gold"]][route] += 1
        if route != row["gold"]:
            misroutes.append((row["text"], row["gold"], route))
    return RouteSet(name, confusion, misroutes)


def routed(guard: ScopeGuard, texts: list[str]) -> list[str]:
    """Each text's route after the guard and the account and handoff parsers."""
    decisions, readings = guard.classify(texts), guard.account_readings(texts)
    return [with_account_route(d, t, r).route for d, t, r in zip(decisions, texts, readings, strict=True)]


def ratio(numerator: int, denominator: int) -> float | None:
    """A rounded share; None when there is nothing to count."""
    return round(numerator / denominator, 4) if denominator else None


def account_route_lines(result: AccountRouteResult | None) -> list[str]:
    """The report's section: each set's confusion and misroutes, then BANKING77's shares."""
    if result is None:
        return []
    lines = ["", "## Account and handoff routes (after the guard)"]
    for route_set in result.sets:
        lines += ["", f"### {route_set.name} set: gold (rows) x decision", ""]
        lines += ["| gold | " + " | ".join(GOLDS) + " | other |", "| --- " * (len(GOLDS) + 2) + "|"]
        for gold, row in route_set.confusion.items():
            other = row.total() - sum(row[g] for g in GOLDS)
            lines.append(f"| {gold} | " + " | ".join(str(row[g]) for g in GOLDS) + f" | {other} |")
        lines += ["", f"Misroutes ({len(route_set.misroutes)}):", ""]
        lines += [f"- {text!r}: gold {gold}, decided {route}" for text, gold, route in route_set.misroutes]
    shares = ", ".join(f"{route} {share:.1%}" for route, share in sorted(result.banking77_shares.items()))
    return [*lines, "", f"Held-out BANKING77 (customers' own wording, scored as banking above): {shares}."]
