"""Load test: simulated users talking at once through the async graph, the `openai` backend on loopback.

It starts `transformers serve --continuous-batching` with the default model (or uses `--url`), opens
the assistant on a fresh data dir with the async checkpointer, and runs `--users` conversations at
once, each `--turns` turns on its own thread and customer (banking questions, a credit question,
small talk). It prints throughput, turn latency percentiles, errors, and lost or crossed turns:
a turn is lost when it returned an answer but its thread lacks it, crossed when a thread holds another
user's message.

On a CPU server, give the requests room: 20 users' prompts queue for minutes, and a client that times
out and retries leaves its abandoned request running on the server, which only adds to the queue.

    BANKASSIST_REQUEST_TIMEOUT_S=900 BANKASSIST_MAX_RETRIES=0 python -m evals.bench_load   # 2 CPU cores
    python -m evals.bench_load --users 4 --turns 2
    python -m evals.bench_load --url http://gpu-host:8000/v1 --model bankassist-base
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from evals.bench_serving import questions

SMALL_TALK = "Thanks, that helps!"
CREDIT_QUESTION = "What changed in my credit report?"


@dataclass
class LoadResult:
    """What the run measured."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    completed: dict[int, list[str]] = field(default_factory=dict)  # each user's turns that returned an answer
    lost: int = 0
    crossed: int = 0


def script(user: int, turns: int, banking: list[str]) -> list[str]:
    """One user's messages: banking questions, with small talk and a credit question mixed in."""
    mix = [banking[(user * turns + turn) % len(banking)] for turn in range(turns)]
    if turns >= 3:
        mix[1], mix[2] = CREDIT_QUESTION, SMALL_TALK
    return [f"{text} (user {user})" if text == SMALL_TALK else text for text in mix]


async def converse(assistant, user: int, messages: list[str], result: LoadResult) -> None:
    """One user's turns in order on their own thread; each turn timed, each failure kept."""
    for text in messages:
        start = time.perf_counter()
        try:
            await assistant.aask(text, customer_id=f"C{user + 1:04d}", thread_id=f"load-{user}")
            result.latencies.append(time.perf_counter() - start)
            result.completed.setdefault(user, []).append(text)
        except Exception as exc:  # a load test counts failures instead of stopping at the first
            result.errors.append(f"user {user}: {type(exc).__name__}: {exc}"[:300])


async def audit(assistant, scripts: dict[int, list[str]], result: LoadResult) -> None:
    """Compare each thread's stored messages with what its user said: a failed turn is an error, not a loss."""
    for user, said in scripts.items():
        state = await assistant.graph.aget_state({"configurable": {"thread_id": f"load-{user}"}})
        stored = [m.text for m in state.values.get("messages", []) if m.type == "human"]
        result.lost += sum(1 for text in result.completed.get(user, []) if text not in stored)
        result.crossed += sum(1 for text in stored if text not in said)


async def run_load(settings, users: int, turns: int) -> LoadResult:
    """All users at once; the default executor is widened so every user's blocking node can run."""
    from agent.service import open_async_assistant

    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=4 * users))
    banking = questions(50)
    scripts = {user: script(user, turns, banking) for user in range(users)}
    async with open_async_assistant(settings) as assistant:
        await assistant.aask(banking[0], thread_id="warm-up")  # the server loads the model, the index warms
        result = LoadResult(0.0)
        start = time.perf_counter()
        await asyncio.gather(*(converse(assistant, user, scripts[user], result) for user in scripts))
        result.seconds = time.perf_counter() - start
        await audit(assistant, scripts, result)
    return result


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report(result: LoadResult, users: int, turns: int, url: str) -> None:
    """Print the figures."""
    done = len(result.latencies)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; model server: {url}")
    print(f"{users} users x {turns} turns = {users * turns} turns, all users at once")
    print(f"completed {done}, errors {len(result.errors)}, lost {result.lost}, crossed {result.crossed}")
    print(f"wall {result.seconds:.1f} s, throughput {done / result.seconds:.2f} turns/s")
    if result.latencies:
        median = statistics.median(result.latencies)
        print(f"turn latency: p50 {median:.1f} s, p95 {percentile(result.latencies, 0.95):.1f} s, "
              f"max {max(result.latencies):.1f} s")  # fmt: skip
    for error in result.errors[:5]:
        print("error:", error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--url", help="an OpenAI-compatible /v1 URL; default: start transformers serve here")
    parser.add_argument("--model", help="served model name; default: the converted default model's directory")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from agent.runtime.model_files import resolve_model_dir
    from agent.settings import get_settings
    from evals.loopback_server import transformers_serve

    settings = get_settings()
    assert settings.model_cache_dir is not None
    with ExitStack() as stack:
        url = args.url
        if url is None:
            log = stack.enter_context(tempfile.TemporaryFile("w+"))
            url = stack.enter_context(transformers_serve(log, "--continuous-batching")) + "/v1"
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        model = args.model or resolve_model_dir(settings.base_model, settings.model_cache_dir)
        update = {
            "backend": "openai", "openai_base_url": url, "openai_synthesizer_model": model,
            "data_dir": data_dir, "database_url": f"sqlite:///{data_dir / 'app.db'}",
            "checkpoint_url": f"sqlite:///{data_dir / 'checkpoints.db'}",
        }  # fmt: skip
        result = asyncio.run(run_load(settings.model_copy(update=update), args.users, args.turns))
        report(result, args.users, args.turns, url)  # before the server stops: its teardown may fail


if __name__ == "__main__":
    main()
