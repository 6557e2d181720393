"""The scope guard's route accuracy on each scope set, on the text as written and as the speller reads it.

    python -m evals.bench_spelling      # needs BANKASSIST_EXTERNAL_DATA_DIR (BANKING77, CLINC150)

`bankassist eval --suite scope` measures the guard's heads on the text as typed; a turn reads it corrected
first (tools/spelling.py). This prints, per set, how many texts the speller changed and the accuracy both
ways, plus the project test set misspelled by the guard's own misspeller (finetune/typos.py, seed 7).
"""

from __future__ import annotations

import dataclasses
import random

from agent.dependencies import build_corpus_speller
from agent.scope.loading import build_guard
from agent.service import get_settings
from evals.scope import held_out_banking77, scope_sets
from finetune.scope_guard import LabeledQuery
from finetune.typos import misspell


def accuracy(routes: list[str], queries: list[LabeledQuery]) -> float:
    """The share of queries routed to their gold route."""
    return sum(route == query.route for route, query in zip(routes, queries, strict=True)) / len(queries)


def main() -> None:
    """Print one line per set."""
    settings = get_settings()
    root = settings.external_data_dir  # BANKASSIST_EXTERNAL_DATA_DIR, else ../shared/data beside the checkout
    if root is None or not root.is_dir():
        raise SystemExit("error: set BANKASSIST_EXTERNAL_DATA_DIR to the folder with banking77/ and clinc150/")
    guard = build_guard(settings)
    speller = build_corpus_speller(settings.model_copy(update={"correct_spelling": True}))
    assert speller is not None  # correction is on in these settings
    sets = scope_sets(root, held_out_banking77(guard, root))
    rng = random.Random(7)
    sets["project_test_misspelt"] = [dataclasses.replace(q, text=misspell(q.text, rng)) for q in sets["project_test"]]
    for name, queries in sets.items():
        written = [q.text for q in queries]
        corrected = [speller.correct(text) for text in written]
        as_written = accuracy([d.route for d in guard.classify_in_batches(written)], queries)
        as_meant = accuracy([d.route for d in guard.classify_in_batches(corrected)], queries)
        changed = sum(a != b for a, b in zip(written, corrected, strict=True))
        figures = f"{as_written:.4f} as written, {as_meant:.4f} read as meant"
        print(f"{name:24s} {len(queries):5d} texts, {changed:4d} changed: {figures}")


if __name__ == "__main__":
    main()
