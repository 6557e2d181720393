"""Banking answer modes side by side, on what the customer reads: fact accuracy, abstention, latency.

    python -m evals.bench_answers                 # the test splits (24 customer-wording, 16 unanswerable)
    python -m evals.bench_answers --split tune    # the tuning questions instead
    python -m evals.bench_answers --modes answerer extractive   # some of the modes

Each question goes through the whole graph once per mode (generative: the base model writes; answerer: the
base with the banking-answerer adapter writes; extractive: the selector quotes), the modes alternating
question by question so that all see the same machine load. Printed per mode: fact accuracy on the
answerable questions, abstention on the unanswerable, the share of answers the number check cut, and the
answer node's median and p95 latency.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from agent.service import Assistant, TurnResult, get_settings, open_assistant
from evals.answer_checks import CUT, abstained, states_expected
from evals.retrieval import CUSTOMER_PATH, UNANSWERABLE_PATH, GoldenQuestion, load_golden

MODES: dict[str, dict[str, Any]] = {
    "generative": {"banking_answers": "generative", "use_answerer": False},
    "answerer": {"banking_answers": "generative", "use_answerer": True},
    "extractive": {"banking_answers": "extractive"},
}


def questions_of(split: str) -> list[GoldenQuestion]:
    """The customer-wording and unanswerable questions of one split."""
    return [q for q in [*load_golden(CUSTOMER_PATH), *load_golden(UNANSWERABLE_PATH)] if q.split == split]


def summary(questions: list[GoldenQuestion], results: list[TurnResult]) -> dict[str, float]:
    """Fact accuracy, abstention, cut share and the answer node's latency."""
    pairs = list(zip(questions, results, strict=True))
    facts = [states_expected(r.answer, q.expect) for q, r in pairs if q.answerable]
    abstentions = [abstained(r.answer) for q, r in pairs if not q.answerable]
    latencies = sorted(r.timings_ms["answer_banking"] for r in results if "answer_banking" in r.timings_ms)
    return {
        "fact_accuracy": round(statistics.fmean(facts), 3),
        "abstention": round(statistics.fmean(abstentions), 3),
        "cut_share": round(statistics.fmean([CUT in r.output_check for r in results]), 3),
        "answer_ms_p50": round(statistics.median(latencies)) if latencies else 0.0,
        "answer_ms_p95": round(latencies[int(0.95 * (len(latencies) - 1))]) if latencies else 0.0,
    }


def main() -> None:
    """Run the modes, alternating, and print one line per mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["test", "tune"], default="test")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    args = parser.parse_args()
    questions, modes, settings = questions_of(args.split), args.modes, get_settings()
    if "answerer" in modes and settings.answerer_adapter is None:
        raise SystemExit("error: no banking-answerer adapter is configured (BANKASSIST_ANSWERER_ADAPTER_PATH).")
    with tempfile.TemporaryDirectory(prefix="bankassist-answers-") as tmp, ExitStack() as stack:
        assistants: dict[str, Assistant] = {}
        for mode in modes:
            scratch = {"checkpoint_url": f"sqlite:///{tmp}/{mode}.db", "audit_log_path": Path(tmp) / f"{mode}.jsonl"}
            assistants[mode] = stack.enter_context(
                open_assistant(settings.model_copy(update={**scratch, **MODES[mode]}))
            )
        results: dict[str, list[TurnResult]] = {mode: [] for mode in modes}
        for question in questions:
            for mode in modes:
                results[mode].append(assistants[mode].ask(question.question))
    print(f"{len(questions)} questions ({sum(q.answerable for q in questions)} answerable)")
    for mode in modes:
        print(mode, summary(questions, results[mode]))


if __name__ == "__main__":
    main()
