"""Counters in time windows, kept in the app DB so every replica counts against the same limit.

A key's window opens at its first hit and lasts `window_s`; a hit after it ended opens a new one. Each hit
is one atomic upsert (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`), so two replicas racing on one key
never both spend its last call. Times are wall-clock seconds, which replicas share.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.migrate import open_database

# A hit on an ended window starts a new one (count = the hit, warned cleared); else it adds to the count.
ADD = """
INSERT INTO counters (key, hits, window_ends, warned) VALUES (?, ?, ?, 0)
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN counters.window_ends <= ? THEN excluded.hits ELSE counters.hits + excluded.hits END,
    warned = CASE WHEN counters.window_ends <= ? THEN 0 ELSE counters.warned END,
    window_ends = CASE WHEN counters.window_ends <= ? THEN excluded.window_ends ELSE counters.window_ends END
RETURNING hits, window_ends, warned
"""


@dataclass(frozen=True)
class Count:
    """One key's count in its current window; `warned`: its lockout was logged already (once per window)."""

    hits: int
    window_ends: float
    warned: bool = False


class CounterStore:
    """Counters in the app DB at `url`, shared by every process that opens it."""

    def __init__(self, url: str) -> None:
        """Open the counters table."""
        self._db = open_database(url)

    def add(self, key: str, amount: int, now: float, window_s: float) -> Count:
        """Add `amount` (may be negative) to the key's count; a new window opens when the last one ended."""
        hits, window_ends, warned = self._db.execute(ADD, (key, amount, now + window_s, now, now, now)).one()
        if window_ends == now + window_s:  # a new window: ended ones (any key's) are done with
            self._db.execute("DELETE FROM counters WHERE window_ends <= ?", (now,))
        return Count(int(hits), float(window_ends), bool(warned))

    def get(self, key: str) -> Count | None:
        """The key's count, if it has one (ended or not)."""
        row = self._db.execute("SELECT hits, window_ends, warned FROM counters WHERE key = ?", (key,)).fetchone()
        return Count(int(row[0]), float(row[1]), bool(row[2])) if row else None

    def mark_warned(self, key: str, now: float) -> bool:
        """Note that the key's lockout was logged; False when it was already (by any replica) or has ended."""
        changed = self._db.execute(
            "UPDATE counters SET warned = 1 WHERE key = ? AND warned = 0 AND window_ends > ?", (key, now)
        ).rowcount
        return changed == 1

    def clear(self, key: str) -> None:
        """Forget the key's count."""
        self._db.execute("DELETE FROM counters WHERE key = ?", (key,))

    def close(self) -> None:
        """Close the connections."""
        self._db.close()
