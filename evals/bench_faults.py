"""Fault drill: turns with random faults injected, then count the completed turns the threads lost.

The assistant is the real one (masker, scope guard, retrieval, SQLite stores and checkpoints, the default
model with short answers) on a fresh data dir, run on the event loop as the web UI runs it. Before each
turn a seeded draw picks one fault:

- `model_down`: the model call raises the openai client's connection error, as a stopped server does;
- `model_slow`: the model call sleeps past `BANKASSIST_NODE_TIMEOUT_S` (set to 10 s here);
- `db_locked`: another connection holds the checkpoint DB's write lock for the whole turn;
- `crash`: the process "dies" inside the model call (an exception nothing catches, like a kill: no
  handler runs); the next turn of the thread resumes from its checkpoints;
- none, for about half of the turns.

A completed turn is one whose call returned an answer. At the end every thread must hold exactly the
messages of its completed turns: `lost` counts their messages missing, `half_turns` any others there.

    python -m evals.bench_faults                 # 100 turns over 10 threads (about 4 min on 2 cores)
    python -m evals.bench_faults --turns 20 --seed 3
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, cast

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.outputs import ChatResult

from agent.service import Assistant, open_async_assistant
from agent.settings import Settings, get_settings
from tools.database import sqlite_path
from tools.errors import BankassistError

FAULTS = ["model_down", "model_slow", "db_locked", "crash"]
QUESTIONS = [
    "What is the fee for an outgoing domestic wire transfer?",
    "How do I report a lost debit card?",
    "What is the overdraft fee?",
    "How long does a mobile check deposit take to clear?",
    "Thanks, that helps!",
]
NODE_TIMEOUT_S = 10.0


class SimulatedCrash(BaseException):
    """Stands for the process dying mid-turn: a BaseException, so no `except Exception` handler sees it."""


class FaultyChatModel(BaseChatModel):
    """The real model behind a switch that breaks the next call the way `fault` says."""

    inner: BaseChatModel
    fault: str | None = None

    @property
    def _llm_type(self) -> str:
        return "faulty"

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        if self.fault == "model_down":  # what the openai client raises when nothing listens at the URL
            request = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
            raise openai.APIConnectionError(request=cast(Any, request))  # openai types its own httpx build
        if self.fault == "crash":
            raise SimulatedCrash
        if self.fault == "model_slow":
            time.sleep(NODE_TIMEOUT_S + 0.5)
        return self.inner._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


@contextmanager
def db_locked(settings: Settings) -> Iterator[None]:
    """Another connection holds the checkpoint DB's write lock until the block ends."""
    assert settings.checkpoint_url is not None
    other = sqlite3.connect(sqlite_path(settings.checkpoint_url))
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.rollback()
        other.close()


async def run_drill(assistant: Assistant, turns: int, threads: int, seed: int) -> dict[str, Any]:
    """Run the turns; return the counts of faults, outcomes, and lost and half turns."""
    rng, model = random.Random(seed), FaultyChatModel(inner=assistant.services.synthesizer)
    assistant.services.synthesizer = model
    completed: dict[str, list[tuple[str, str]]] = {f"drill-{n}": [] for n in range(threads)}
    faults, outcomes = Counter[str](), Counter[str]()
    for number in range(turns):
        thread, question = f"drill-{number % threads}", QUESTIONS[(number // threads) % len(QUESTIONS)]
        fault = rng.choice(FAULTS) if rng.random() < 0.5 else None
        faults[fault or "none"] += 1
        outcome, answer = await one_turn(assistant, model, fault, thread, question)
        print(f"[{number + 1}/{turns}] {thread} {fault or '-'}: {outcome}", flush=True)
        outcomes[outcome] += 1
        if answer is not None:
            completed[thread].append((question, answer))
    lost, half = await check_threads(assistant, completed)
    return {"turns": turns, "faults": dict(faults), "outcomes": dict(outcomes), "lost": lost, "half_turns": half}


async def one_turn(
    assistant: Assistant, model: FaultyChatModel, fault: str | None, thread: str, question: str
) -> tuple[str, str | None]:
    """One turn under `fault`: its outcome, and its answer when it completed."""
    model.fault = fault
    try:
        with db_locked(assistant.services.settings) if fault == "db_locked" else nullcontext():
            answer = (await assistant.aask(question, thread_id=thread)).answer
        return "answered", answer
    except BankassistError as exc:
        return f"clear error ({type(exc).__name__})", None
    except SimulatedCrash:
        return "crashed", None
    finally:
        model.fault = None


async def check_threads(assistant: Assistant, completed: dict[str, list[tuple[str, str]]]) -> tuple[int, int]:
    """Completed turns' messages missing from their thread, and messages a thread holds beyond them."""
    lost = half = 0
    for thread, turns in completed.items():
        stored = Counter((m["role"], m["content"]) for m in await assistant.athread_messages(thread))
        expected = Counter(pair for question, answer in turns for pair in (("user", question), ("assistant", answer)))
        lost += sum((expected - stored).values())
        half += sum((stored - expected).values())
    return lost, half


async def drill(settings: Settings, turns: int, threads: int, seed: int) -> dict[str, Any]:
    """The drill on the async assistant: the node timeout holds on the event loop (see `Assistant`)."""
    async with open_async_assistant(settings) as assistant:
        return await run_drill(assistant, turns, threads, seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--threads", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bankassist-faults-") as tmp:
        overrides = {
            "data_dir": Path(tmp),
            "database_url": None,
            "checkpoint_url": None,
            "chat_db_url": None,
            "audit_log_path": None,
            "node_timeout_s": NODE_TIMEOUT_S,
            "max_new_tokens": 24,
        }
        settings = Settings(**{**get_settings().model_dump(), **overrides})
        started = time.perf_counter()
        result = asyncio.run(drill(settings, args.turns, args.threads, args.seed))
    print(f"machine: {platform.machine()}, {platform.python_version()}; {time.perf_counter() - started:.0f} s")
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
