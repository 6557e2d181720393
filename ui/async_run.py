"""Run a CLI command's coroutine without waiting, at exit, for a model call its node timeout gave up on."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class DaemonThreadExecutor(ThreadPoolExecutor):
    """Each call in a new daemon thread: a call stuck past its node's timeout cannot hold the process open.

    asyncio's default pool joins its threads at exit, so a timed-out turn would still wait for the model.
    (A ThreadPoolExecutor only because asyncio accepts no other kind as the default; its pool is unused.)
    """

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Start `fn` on its own daemon thread; its result or exception goes to the returned future."""
        future: Future[T] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to the awaiting coroutine, as the default pool does
                future.set_exception(exc)

        threading.Thread(target=run, daemon=True, name="bankassist-step").start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to join: the threads are daemons, and a stuck one is left to the process's exit."""


def run_detached(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, with sync work (LangGraph's sync nodes, `to_thread`) on daemon threads."""
    with asyncio.Runner() as runner:
        runner.get_loop().set_default_executor(DaemonThreadExecutor())
        return runner.run(coroutine)
