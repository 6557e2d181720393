"""Benchmark: wall time of one answer through `bankassist ask`, process start and model load included.

The first run uses an empty data dir, so it pays the one-time costs (GGUF conversion, demo
data, index); the following runs reuse that data dir, as a user's second command would.

    python evals/bench_turn.py
    python evals/bench_turn.py --runs 5 --question "How long does an international wire take?"
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT_QUESTION = "What is the fee for an outgoing domestic wire transfer?"
TARGET_S = 30.0


def timed_ask(question: str, env: dict[str, str]) -> tuple[float, dict]:
    """Run `bankassist ask --json` once; return its wall time and its JSON output."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ui", "ask", question, "--json"], capture_output=True, text=True, env=env, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bankassist failed: {done.stderr.strip().splitlines()[-1]}")
    return elapsed, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="warm runs after the first (cold) one")
    parser.add_argument("--question", default=DEFAULT_QUESTION)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bankassist-bench-") as data_dir:
        env = {**os.environ, "BANKASSIST_DATA_DIR": data_dir, "HF_HUB_OFFLINE": "1"}
        env.pop("BANKASSIST_MODEL_CACHE_DIR", None)
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"question: {args.question!r}")
        cold, out = timed_ask(args.question, env)
        print(f"first run (converts the model, seeds the DB, builds the index): {cold:.1f} s, route {out['route']}")
        warm = []
        for number in range(1, args.runs + 1):
            elapsed, out = timed_ask(args.question, env)
            warm.append(elapsed)
            nodes = ", ".join(f"{k} {v:,.0f} ms" for k, v in out["timings_ms"].items())
            print(f"run {number}: {elapsed:.1f} s end to end ({nodes})")
    median, worst = statistics.median(warm), max(warm)
    verdict = "meets" if worst < TARGET_S else "MISSES"
    print(f"after the first run: median {median:.1f} s, max {worst:.1f} s; {verdict} the < {TARGET_S:.0f} s target")


if __name__ == "__main__":
    main()
