"""What the web UI's sessions share in one server process: the assistant, the users and the rate limiter.

Everything opens on first use, not at import: logging in needs only the user table, so it never waits
for the models to load.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, ExitStack, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from agent.service import (
    Assistant,
    CounterStore,
    Settings,
    UserStore,
    get_settings,
    open_async_assistant,
    open_counters,
    open_user_store,
)
from tools.errors import InvalidInputError
from ui.rate_limit import RateLimiter

T = TypeVar("T")
AUTH_SECRET_ENV = "CHAINLIT_AUTH_SECRET"


class WebRuntime:
    """The process-wide services of the web UI, opened lazily and closed at shutdown."""

    def __init__(self, settings: Settings) -> None:
        """Nothing opens yet."""
        self.settings = settings
        self._stack, self._async_stack = ExitStack(), AsyncExitStack()
        self._opening = threading.Lock()
        self._opening_assistant = asyncio.Lock()
        self._users: UserStore | None = None
        self._counters: CounterStore | None = None
        self._assistant: Assistant | None = None
        # The local backend runs one generation at a time on CPU; a model server batches requests itself.
        self._turn_lock = asyncio.Lock() if settings.backend == "local" else None

    @property
    def users(self) -> UserStore:
        """The user table (the demo users are refreshed when it opens)."""
        with self._opening:
            if self._users is None:
                self._users = open_user_store(self.settings)
                self._stack.callback(self._users.close)
            return self._users

    @property
    def counters(self) -> CounterStore:
        """The rate-limit and sign-in counters in the app DB (shared with the API and every replica)."""
        with self._opening:
            if self._counters is None:
                self._counters = open_counters(self.settings)
                self._stack.callback(self._counters.close)
            return self._counters

    @property
    def limiter(self) -> RateLimiter:
        """Per-user call rates, counted with the REST API's."""
        return RateLimiter(self.settings.rate_limit_per_minute, self.counters)

    async def assistant(self) -> Assistant:
        """The compiled graph on an async checkpointer, with its services (models load on first use)."""
        async with self._opening_assistant:
            if self._assistant is None:
                self._assistant = await self._async_stack.enter_async_context(open_async_assistant(self.settings))
            return self._assistant

    def turn(self) -> Any:
        """An async context that serializes turns on the local backend."""
        return self._turn_lock or nullcontext()

    async def close(self) -> None:
        """Close whatever was opened."""
        await self._async_stack.aclose()
        self._stack.close()


_runtime: WebRuntime | None = None
_runtime_lock = threading.Lock()


def get_runtime() -> WebRuntime:
    """The process's runtime, built from settings on first call."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = WebRuntime(get_settings())
        return _runtime


async def close_runtime() -> None:
    """Close the process's runtime (at server shutdown)."""
    global _runtime
    with _runtime_lock:
        runtime, _runtime = _runtime, None
    if runtime is not None:
        await runtime.close()


def check_launch(settings: Settings, environ: dict[str, str]) -> None:
    """Production mode signs sessions with the operator's secret, never a made-up one.

    The demo password is refused by the Settings validator, for every front end.
    """
    if settings.mode == "production" and not environ.get(AUTH_SECRET_ENV):
        raise InvalidInputError(
            f"Production mode needs {AUTH_SECRET_ENV} (make one with `chainlit create-secret`); refusing to start."
        )


def demo_auth_secret(data_dir: Path) -> str:
    """Demo mode's signing secret: random, made once per data dir, so logins survive a restart."""
    path = data_dir / "chainlit_auth_secret"
    if not path.is_file():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        os.chmod(path, 0o600)
    return path.read_text(encoding="utf-8").strip()


async def iterate_in_thread(produce: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
    """Run a blocking generator in one worker thread and yield its items on the event loop.

    One thread for the whole run (not one per item): LangGraph keeps its run context in context
    variables, which must stay in the thread that started the run.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def work() -> None:
        try:
            for item in produce():
                loop.call_soon_threadsafe(queue.put_nowait, ("item", item))
            loop.call_soon_threadsafe(queue.put_nowait, ("end", None))
        except BaseException as exc:  # handed to the awaiting side, which re-raises it
            loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))

    worker = loop.run_in_executor(None, work)
    while True:
        kind, value = await queue.get()
        if kind == "error":
            raise value
        if kind == "end":
            await worker
            return
        yield value
