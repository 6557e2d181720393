"""Rate limits: per-user call rates, shared by the REST API and the web UI, and the web UI's login throttle."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

log = logging.getLogger("bankassist.ui")


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


@dataclass(frozen=True)
class LoginAttempts:
    """One name's login attempts in its current window.

    `warned`: the lockout was logged already; once per window, so a guessing run cannot flood the log.
    """

    count: int
    window_ends: float
    warned: bool = False


class AttemptStore(Protocol):
    """Where LoginThrottle keeps its counts.

    Per-process memory today; a store shared by replicas (the app DB) can take its place without
    touching the throttle. The throttle's lock makes get-then-put atomic only within one process: two
    replicas racing on a shared store could both spend a name's last attempt, so that store would want
    an atomic increment in place of get-then-put.
    """

    def get(self, key: str) -> LoginAttempts | None:
        """The key's record, if any (expired or not)."""
        ...

    def put(self, key: str, attempts: LoginAttempts) -> None:
        """Replace the key's record."""
        ...

    def delete(self, key: str) -> None:
        """Forget the key."""
        ...

    def prune(self, now: float) -> None:
        """Drop records whose window ended by `now` (a store may do it lazily)."""
        ...


class MemoryAttemptStore:
    """Counts in a dict: each server process (and replica) counts on its own."""

    def __init__(self, scan_above: int = 1024) -> None:
        """Start empty; expired records are swept only once the dict outgrows `scan_above`."""
        self._records: dict[str, LoginAttempts] = {}
        self._scan_above = self._min_scan = scan_above

    def get(self, key: str) -> LoginAttempts | None:
        """The key's record, if any."""
        return self._records.get(key)

    def put(self, key: str, attempts: LoginAttempts) -> None:
        """Replace the key's record."""
        self._records[key] = attempts

    def delete(self, key: str) -> None:
        """Forget the key."""
        self._records.pop(key, None)

    def prune(self, now: float) -> None:
        """Sweep ended windows when the dict has doubled since the last sweep.

        Names are the attacker's choice, so without a sweep a spray of made-up names would grow the
        dict for ever; sweeping only on doubling keeps each login O(1) on average.
        """
        if len(self._records) <= self._scan_above:
            return
        self._records = {key: rec for key, rec in self._records.items() if rec.window_ends > now}
        self._scan_above = max(self._min_scan, 2 * len(self._records))


class LoginThrottle:
    """At most `max_failures` password checks per user name per `window_s` seconds.

    The window opens at a name's first counted attempt. An attempt is counted when it starts, before
    the password is checked, so parallel guesses cannot all slip in before the first one fails; a
    success then clears the name. Once the window is full, every attempt is refused unchecked until it
    ends, the right password included: answering differently for it would tell a guesser it was right.
    Unknown names are counted like real ones, so a lockout does not reveal which names exist.
    """

    def __init__(
        self,
        max_failures: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
        store: AttemptStore | None = None,
    ) -> None:
        """No name has failed yet."""
        self.max_failures, self.window_s = max_failures, window_s
        self._clock, self._lock = clock, threading.Lock()
        self._store: AttemptStore = store if store is not None else MemoryAttemptStore()

    def allow(self, name: str) -> bool:
        """Count an attempt for `name` and say whether its password may be checked."""
        key, now = login_key(name), self._clock()
        with self._lock:
            self._store.prune(now)
            record = self._store.get(key)
            if record is None or record.window_ends <= now:
                record = LoginAttempts(0, now + self.window_s)
            if record.count >= self.max_failures:
                return False
            self._store.put(key, replace(record, count=record.count + 1))
            return True

    def failed(self, name: str) -> None:
        """The password was wrong (already counted by `allow`); log the lockout once it starts."""
        key, now = login_key(name), self._clock()
        with self._lock:
            record = self._store.get(key)
            if record is None or record.warned or record.count < self.max_failures or record.window_ends <= now:
                return
            self._store.put(key, replace(record, warned=True))
        # The name only, truncated: never the password, and a bounded line whatever was typed.
        log.warning(
            "login for %r locked for %.0f s after %d failed attempts",
            key[:100],
            record.window_ends - now,
            record.count,
        )

    def succeeded(self, name: str) -> None:
        """The password was right: the name starts afresh."""
        with self._lock:
            self._store.delete(login_key(name))

    def refund(self, name: str) -> None:
        """Give back the attempt a right password spent, without clearing the earlier failures.

        For counts that a success must not wipe: a guesser with one account of their own could otherwise
        sign in to it between guesses and clear their address's count.
        """
        key = login_key(name)
        with self._lock:
            record = self._store.get(key)
            if record is not None and record.count > 0:
                self._store.put(key, replace(record, count=record.count - 1))


def login_key(name: str) -> str:
    """One count per name however it is typed: "Alice" and "alice " are the same user to a guesser."""
    return name.strip().lower()
