"""Labelled queries for the scope guard: the project's own set and the external datasets, read by path.

Training (finetune/), the evals and the command line all read them, so they live below all three.
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from tools.errors import ConfigurationError
from tools.routes import ROUTES, Route

PROJECT_QUERIES = Path(__file__).resolve().parents[1] / "evals" / "data" / "scope_queries.jsonl"
Split = Literal["train", "test"]


@dataclass(frozen=True)
class LabeledQuery:
    """A query, its route, and the fine-grained class a head learns (a dataset intent, or our route)."""

    text: str
    route: Route
    label: str


def project_queries(split: Split, path: Path = PROJECT_QUERIES) -> list[LabeledQuery]:
    """The project's own queries of one split (`split` is stored per line, fixed once)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [LabeledQuery(r["text"], r["route"], f"ours:{r['route']}") for r in rows if r["split"] == split]


def banking77_train(data_dir: Path) -> list[LabeledQuery]:
    """BANKING77 train: every intent is `banking` (scope_labels.json)."""
    routes = _scope_labels(data_dir)["banking77"]
    with (data_dir / "banking77" / "train.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [_labeled(r["text"], routes.get(r["category"], routes["*"]), f"banking77:{r['category']}") for r in rows]


def split_banking77(
    queries: list[LabeledQuery], share: float, seed: int
) -> tuple[list[LabeledQuery], list[LabeledQuery]]:
    """(kept, held out): `share` of each intent held out, drawn with `seed`, so the eval can rebuild the slice."""
    by_intent: dict[str, list[int]] = defaultdict(list)
    for index, query in enumerate(queries):
        by_intent[query.label].append(index)
    rng = random.Random(seed)
    held: set[int] = set()
    for label in sorted(by_intent):
        indices = by_intent[label]
        held.update(rng.sample(indices, round(len(indices) * share)))
    kept = [q for i, q in enumerate(queries) if i not in held]
    return kept, [q for i, q in enumerate(queries) if i in held]


def cap_per_class(queries: list[LabeledQuery], limit: int | None) -> list[LabeledQuery]:
    """At most `limit` queries per class, in file order."""
    if not limit:
        return queries
    seen: dict[str, int] = defaultdict(int)
    kept = []
    for query in queries:
        seen[query.label] += 1
        if seen[query.label] <= limit:
            kept.append(query)
    return kept


def clinc150(data_dir: Path, splits: Iterable[str]) -> list[LabeledQuery]:
    """CLINC150 splits (e.g. train + oos_train), mapped to routes by domain with per-intent exceptions."""
    mapping = _scope_labels(data_dir)["clinc150"]
    domains = json.loads((data_dir / "clinc150" / "domains.json").read_text(encoding="utf-8"))
    domain_of = {intent: domain for domain, intents in domains.items() for intent in intents}
    data = json.loads((data_dir / "clinc150" / "data_train_val.json").read_text(encoding="utf-8"))
    return [
        _labeled(text, mapping["intents"].get(intent) or mapping["domains"][domain_of[intent]], f"clinc150:{intent}")
        for split in splits
        for text, intent in data[split]
    ]


def require_data_dir(data_dir: Path | None) -> Path:
    """The external data folder, or a clear error naming the setting."""
    if data_dir is None or not (data_dir / "scope_labels.json").exists():
        raise ConfigurationError(
            f"External data not found at {data_dir}: set BANKASSIST_EXTERNAL_DATA_DIR to the shared data folder."
        )
    return data_dir


def _scope_labels(data_dir: Path) -> dict[str, Any]:
    """scope_labels.json: dataset intent -> route."""
    labels: dict[str, Any] = json.loads((data_dir / "scope_labels.json").read_text(encoding="utf-8"))
    return labels


def _labeled(text: str, route: str, label: str) -> LabeledQuery:
    """Check the route name, so a typo in the mapping fails loudly."""
    if route not in ROUTES:
        raise ConfigurationError(f"scope_labels.json maps {label} to unknown route {route!r}")
    return LabeledQuery(text, cast(Route, route), label)
