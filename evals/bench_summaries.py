"""Benchmark: batched credit summaries against one-by-one, in summaries per second, in one run.

Both paths run the same code (`agent.credit_summary.summarize_customers`: extraction, check,
phrasing, one regeneration when a draft invents a number); only the batch size differs. One by
one is measured on a few customers (it is slow), batched on `--batch` customers.

    python -m evals.bench_summaries                    # local backend, batch 32
    python -m evals.bench_summaries --batch 16 --one-by-one 2
    BANKASSIST_BACKEND=openai BANKASSIST_OPENAI_BASE_URL=http://gpu:8000/v1 python -m evals.bench_summaries
"""

from __future__ import annotations

import argparse
import os
import platform
import time

TARGET_RATIO = 8.0


def timed(reports, extractor, advisor, ids, concurrency) -> float:
    from agent.credit_summary import summarize_customers

    start = time.perf_counter()
    summaries = summarize_customers(reports, extractor, advisor, ids, concurrency)
    elapsed = time.perf_counter() - start
    assert all("summary" in s for s in summaries), "every benchmarked customer has reports"
    return elapsed


def with_batch_size(model, size: int):
    """The same model (and loaded weights) with another batch size; servers get concurrency instead."""
    return model.model_copy(update={"batch_size": size}) if hasattr(model, "batch_size") else model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=32, help="customers per batch, and customers summarized")
    parser.add_argument("--one-by-one", type=int, default=3, help="customers summarized one at a time; 0 skips them")
    args = parser.parse_args()
    if args.batch < 1 or args.one_by_one < 0:
        parser.error("--batch must be at least 1 and --one-by-one at least 0")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from agent.service import open_credit_models

    with open_credit_models() as credit:
        ids = [c.id for c in credit.reports.list_customers() if c.reports >= 2][: args.batch]
        # The models `bankassist summarize` uses: the extractor, then the advisor (not the base model, whose
        # drafts nearly all fail the checks and are generated twice).
        one = (with_batch_size(credit.extractor, 1), with_batch_size(credit.advisor, 1))
        many = (with_batch_size(credit.extractor, args.batch), with_batch_size(credit.advisor, args.batch))
        timed(credit.reports, one[0], one[1], ids[:1], 1)  # warm-up: load the weights once
        one_s = None  # --one-by-one 0: the batch alone
        if args.one_by_one:
            one_s = timed(credit.reports, one[0], one[1], ids[: args.one_by_one], 1) / args.one_by_one
        batch_s = timed(credit.reports, many[0], many[1], ids, credit.settings.max_concurrency) / len(ids)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; backend: {credit.settings.backend}")
    if one_s is not None:
        print(f"one by one: {1 / one_s:.3f} summaries/s ({one_s:.1f} s each, {args.one_by_one} customers)")
    print(f"batch {len(ids)}: {1 / batch_s:.3f} summaries/s ({batch_s:.1f} s each)")
    if one_s is not None:
        ratio = one_s / batch_s
        print(f"speed-up: {ratio:.1f}x (target {TARGET_RATIO:.0f}x): {'met' if ratio >= TARGET_RATIO else 'MISSED'}")


if __name__ == "__main__":
    main()
