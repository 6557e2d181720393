"""Rate limits: per-user call rates, shared by the REST API and the web UI, and the web UI's login throttle.

Both count in windows kept by a `Counters` store: the app DB in a server (`agent.service.CounterStore`), so
every replica and front end spends from the same count; `MemoryCounters` for tests.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

from agent.service import Count

log = logging.getLogger("bankassist.ui")


class Counters(Protocol):
    """Where counts live: each `add` is atomic, whoever else adds to the same key."""

    def add(self, key: str, amount: int, now: float, window_s: float) -> Count:
        """Add to the key's count; a new window opens when the last one ended."""
        ...

    def get(self, key: str) -> Count | None:
        """The key's count, if any (ended or not)."""
        ...

    def mark_warned(self, key: str, now: float) -> bool:
        """Note the key's lockout was logged; False when it already was or its window ended."""
        ...

    def clear(self, key: str) -> None:
        """Forget the key."""
        ...


class MemoryCounters:
    """Counts in a dict, for one process (tests, and a CLI with no server)."""

    def __init__(self, scan_above: int = 1024) -> None:
        """Start empty; ended windows are swept only once the dict outgrows `scan_above`."""
        self._counts: dict[str, Count] = {}
        self._lock = threading.Lock()
        self._scan_above = self._min_scan = scan_above

    def add(self, key: str, amount: int, now: float, window_s: float) -> Count:
        """Add to the key's count, opening a new window when the last one ended."""
        with self._lock:
            self._sweep(now)
            count = self._counts.get(key)
            if count is None or count.window_ends <= now:
                count = Count(0, now + window_s)
            count = Count(count.hits + amount, count.window_ends, count.warned)
            self._counts[key] = count
            return count

    def get(self, key: str) -> Count | None:
        """The key's count, if any."""
        return self._counts.get(key)

    def mark_warned(self, key: str, now: float) -> bool:
        """Note the lockout was logged, once per window."""
        with self._lock:
            count = self._counts.get(key)
            if count is None or count.warned or count.window_ends <= now:
                return False
            self._counts[key] = Count(count.hits, count.window_ends, True)
            return True

    def clear(self, key: str) -> None:
        """Forget the key."""
        with self._lock:
            self._counts.pop(key, None)

    def _sweep(self, now: float) -> None:
        """Drop ended windows when the dict has doubled since the last sweep.

        Names are the attacker's choice, so without a sweep a spray of made-up names would grow the
        dict for ever; sweeping only on doubling keeps each count O(1) on average.
        """
        if len(self._counts) <= self._scan_above:
            return
        self._counts = {key: count for key, count in self._counts.items() if count.window_ends > now}
        self._scan_above = max(self._min_scan, 2 * len(self._counts))


class RateLimiter:
    """At most `per_minute` calls per user in each minute, the minute starting at the first call."""

    def __init__(self, per_minute: int, counters: Counters, clock: Callable[[], float] = time.time) -> None:
        """Count in `counters` (shared by every replica when it is the app DB)."""
        self.per_minute, self._counters, self._clock = per_minute, counters, clock

    def take(self, user: str) -> float:
        """Spend one call: 0 when allowed, else the seconds until the next call is."""
        now = self._clock()
        count = self._counters.add(f"rate:{user}", 1, now, 60.0)
        return 0.0 if count.hits <= self.per_minute else count.window_ends - now


class RateLimited(Exception):
    """The caller has no calls left this minute; `wait` is the seconds until the next one."""

    def __init__(self, wait: float) -> None:
        """Remember how long to wait."""
        super().__init__(f"Too many requests: try again in {retry_after(wait)} s.")
        self.wait = wait


def retry_after(seconds: float) -> str:
    """The Retry-After header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


class LoginThrottle:
    """At most `max_failures` password checks per key (a user name, or a client address) per `window_s` seconds.

    The window opens at a key's first counted attempt. An attempt is counted when it starts, before
    the password is checked, so parallel guesses (on any replica) cannot all slip in before the first
    one fails; a success then clears the name. Once the window is full, every attempt is refused
    unchecked until it ends, the right password included: answering differently for it would tell a
    guesser it was right. Unknown names are counted like real ones, so a lockout does not reveal which
    names exist.
    """

    def __init__(
        self,
        max_failures: int,
        window_s: float,
        counters: Counters | None = None,
        clock: Callable[[], float] = time.time,
        scope: str = "name",
    ) -> None:
        """Count under `login-<scope>:` keys, so a user called "10.0.0.9" is not an address's count."""
        self.max_failures, self.window_s, self._clock = max_failures, window_s, clock
        self._counters: Counters = counters if counters is not None else MemoryCounters()
        self._prefix = f"login-{scope}:"

    def allow(self, name: str) -> bool:
        """Count an attempt for `name` and say whether its password may be checked."""
        count = self._counters.add(self._key(name), 1, self._clock(), self.window_s)
        return count.hits <= self.max_failures

    def failed(self, name: str) -> None:
        """The password was wrong (already counted by `allow`); log the lockout once it starts."""
        key, now = self._key(name), self._clock()
        count = self._counters.get(key)
        if count is None or count.hits < self.max_failures or not self._counters.mark_warned(key, now):
            return
        # The name only, truncated: never the password, and a bounded line whatever was typed.
        log.warning(
            "login for %r locked for %.0f s after %d failed attempts",
            login_key(name)[:100],
            count.window_ends - now,
            count.hits,
        )

    def succeeded(self, name: str) -> None:
        """The password was right: the name starts afresh."""
        self._counters.clear(self._key(name))

    def refund(self, name: str) -> None:
        """Give back the attempt a right password spent, without clearing the earlier failures.

        For counts that a success must not wipe: a guesser with one account of their own could otherwise
        sign in to it between guesses and clear their address's count.
        """
        key = self._key(name)
        count = self._counters.get(key)
        if count is not None and count.hits > 0:
            self._counters.add(key, -1, self._clock(), self.window_s)

    def _key(self, name: str) -> str:
        return self._prefix + login_key(name)


def login_key(name: str) -> str:
    """One count per name however it is typed: "Alice" and "alice " are the same user to a guesser."""
    return name.strip().lower()
