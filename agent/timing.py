"""Per-node timings, added to each node's update under `timings_ms`."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any


def timed(node: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Wrap a node so its update also records how long it took; name and signature are kept."""

    @functools.wraps(node)
    def wrapper(*args: Any, **kwargs: Any) -> dict[str, Any]:
        start = time.perf_counter()
        update = node(*args, **kwargs)
        elapsed_ms = round((time.perf_counter() - start) * 1000, 1)
        return {**update, "timings_ms": {node.__name__: elapsed_ms}}

    return wrapper
