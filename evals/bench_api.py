"""The REST API's own cost: latency of POST /v1/chat over a real loopback uvicorn minus a direct service call.

The language model is replaced by a fake (a fixed reply), so what is left is the guard, retrieval, the
checkpointer (both sides run the same async assistant) and, on the HTTP side only, auth, rate limiting,
thread ownership, JSON and HTTP.
Run from the repository root (about 1 minute on 2 cores):
    python -m evals.bench_api
"""

from __future__ import annotations

import asyncio
import itertools
import os
import platform
import tempfile
import threading
import time
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
import uvicorn
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from agent.dependencies import Services, build_services, open_user_store
from agent.events import TurnResult
from agent.service import open_async_assistant
from agent.settings import Settings
from evals.loopback_server import free_port
from ui.api import create_app

T = TypeVar("T")
ROUNDS = 150
MESSAGES = {"out_of_scope": "What's the weather in Paris tomorrow?", "banking": "How much is an outgoing wire?"}


def fake_model() -> GenericFakeChatModel:
    """A chat model that always answers the same sentence, instantly."""
    return GenericFakeChatModel(messages=itertools.cycle([AIMessage("The fee is $25 [1].")]))


def serve(app: object, port: int) -> uvicorn.Server:
    """Run uvicorn in a background thread; return once it accepts connections."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


class DirectAssistant:
    """The async assistant the API runs, called from this thread through an event loop of its own."""

    def __init__(self, settings: Settings, services: Services) -> None:
        """Open the assistant on its loop (its own checkpoint DB, the server's services)."""
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self._stack = AsyncExitStack()
        self.assistant = self._call(self._stack.enter_async_context(open_async_assistant(settings, services)))

    def ask(self, message: str, customer_id: str) -> TurnResult:
        """One turn, as the API runs it, minus HTTP."""
        return self._call(self.assistant.aask(message, customer_id=customer_id))

    def close(self) -> None:
        """Close the checkpointer and stop the loop."""
        self._call(self._stack.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()


def measure(assistant: DirectAssistant, client: httpx.Client, message: str) -> tuple[list[float], list[float]]:
    """Alternate direct and HTTP calls (so drift hits both alike); milliseconds of each."""
    direct, http = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        assistant.ask(message, customer_id="C0002")
        direct.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        client.post("/v1/chat", json={"message": message}).raise_for_status()
        http.append((time.perf_counter() - start) * 1000)
    return direct, http


def report(route: str, direct: list[float], http: list[float]) -> None:
    """p50/p95 of both paths and of the overhead: HTTP minus direct, pair by pair."""
    for name, samples in (("direct", direct), ("HTTP", http), ("overhead", np.subtract(http, direct))):
        p50, p95 = np.percentile(samples, [50, 95])
        print(f"{route:>12} {name:>8}: p50 {p50:6.2f} ms, p95 {p95:6.2f} ms")


def main() -> None:
    """Print the API overhead per route."""
    print(f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores; {ROUNDS} pairs per route")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), rate_limit_per_minute=1_000_000)
        services = build_services(settings)
        services.synthesizer = services.extractor = services.advisor = fake_model()
        direct_db = {"checkpoint_url": f"sqlite:///{Path(tmp) / 'direct-checkpoints.db'}"}
        assistant = DirectAssistant(settings.model_copy(update=direct_db), services)
        users = open_user_store(settings)
        key = users.create_api_key("bob")[1]
        port = free_port()
        server = serve(create_app(settings, services), port)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
            for route, message in MESSAGES.items():
                measure(assistant, client, message)  # warm-up: first calls load models and caches
                report(route, *measure(assistant, client, message))
        server.should_exit = True
        assistant.close()
        users.close()


if __name__ == "__main__":
    main()
