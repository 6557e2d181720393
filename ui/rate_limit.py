"""Per-user call rates, shared by the REST API (per call) and the web UI (per message)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    """A token bucket per user: `per_minute` calls a minute, bursts up to `per_minute`."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        """Start every user with a full bucket."""
        self.capacity, self.rate = float(per_minute), per_minute / 60.0
        self._clock, self._lock = clock, threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, user: str) -> float:
        """Spend one call: 0 when allowed, else the seconds until the next call is."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(user, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[user] = (tokens - 1, now)
                return 0.0
            self._buckets[user] = (tokens, now)
            return (1 - tokens) / self.rate


class RateLimited(Exception):
    """The caller has no calls left this minute; `wait` is the seconds until the next one."""

    def __init__(self, wait: float) -> None:
        """Remember how long to wait."""
        super().__init__(f"Too many requests: try again in {retry_after(wait)} s.")
        self.wait = wait


def retry_after(seconds: float) -> str:
    """The Retry-After header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
