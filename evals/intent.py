"""77-way intent on BANKING77 queries the guard never trained on: accuracy, macro-F1 and the confused pairs.

`bankassist train-guard` leaves a stratified slice of BANKING77 train out (its share and seed are in the
weights' info); this rebuilds the same slice. "77-way" reads the guard's class probabilities over the 77
BANKING77 intents only, the benchmark's task; `top_intent_accuracy` is the share whose overall most probable
class (of all 232, what `route` and the UI show) is the right intent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.scope.guard import ScopeGuard
from agent.scope.screen import read_message
from tools.datasets import LabeledQuery, banking77_train, split_banking77

PREFIX = "banking77:"
CONFUSED_PAIRS = 10  # (gold, predicted) pairs listed in the report


@dataclass(frozen=True)
class IntentResult:
    """77-way scores on the held-out slice, and the most confused intent pairs."""

    queries: int
    accuracy: float
    macro_f1: float
    top_intent_accuracy: float
    full_head_accuracy: float  # the transformer head alone, for comparison with the cascade
    confused: list[tuple[str, str, int]]

    def metrics(self) -> dict[str, float]:
        """Flat metrics, under the scope suite's prefix."""
        return {
            "scope_intent_accuracy": self.accuracy,
            "scope_intent_macro_f1": self.macro_f1,
            "scope_intent_top_accuracy": self.top_intent_accuracy,
            "scope_intent_full_head_accuracy": self.full_head_accuracy,
            "scope_intent_query_count": float(self.queries),
        }


def held_out_banking77(guard: ScopeGuard, data_dir: Path) -> list[LabeledQuery]:
    """The slice of BANKING77 train this guard was trained without; empty for a guard trained on all of it."""
    held = guard.weights.info.get("banking77_held_out") or {}
    if not held.get("share"):
        return []
    return split_banking77(banking77_train(data_dir), float(held["share"]), int(held["seed"]))[1]


def evaluate_intent(guard: ScopeGuard, queries: list[LabeledQuery]) -> IntentResult:
    """Score the guard's intents on `queries` (BANKING77, labelled `banking77:<intent>`)."""
    names = [str(name) for name in guard.weights.class_names]
    columns = np.array([i for i, name in enumerate(names) if name.startswith(PREFIX)])
    cores = [read_message(q.text).core for q in queries]
    gold = [q.label for q in queries]
    cascade = guard.class_probabilities(cores)
    predicted = [names[columns[i]] for i in np.argmax(cascade[:, columns], axis=1)]
    top = [names[i] for i in np.argmax(cascade, axis=1)]
    full = guard.full_class_probabilities(cores)
    full_predicted = [names[columns[i]] for i in np.argmax(full[:, columns], axis=1)]
    return IntentResult(
        queries=len(queries),
        accuracy=share_equal(gold, predicted),
        macro_f1=macro_f1(gold, predicted),
        top_intent_accuracy=share_equal(gold, top),
        full_head_accuracy=share_equal(gold, full_predicted),
        confused=most_confused(gold, predicted),
    )


def share_equal(gold: list[str], predicted: list[str]) -> float:
    """The share of positions where the two agree."""
    return round(sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold), 4) if gold else 0.0


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    """F1 per gold class, averaged with equal weight."""
    pairs = list(zip(gold, predicted, strict=True))
    scores = []
    for label in sorted(set(gold)):
        hits = sum(g == p == label for g, p in pairs)
        guessed = sum(p == label for _, p in pairs)
        actual = sum(g == label for g, _ in pairs)
        scores.append(2 * hits / (guessed + actual) if hits else 0.0)
    return round(float(np.mean(scores)), 4) if scores else 0.0


def most_confused(gold: list[str], predicted: list[str]) -> list[tuple[str, str, int]]:
    """The (gold, predicted) pairs most often wrong, most first; ties by name, so the report is stable."""
    wrong = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    ranked = sorted(wrong.items(), key=lambda item: (-item[1], item[0]))
    return [(g.removeprefix(PREFIX), p.removeprefix(PREFIX), n) for (g, p), n in ranked[:CONFUSED_PAIRS]]
