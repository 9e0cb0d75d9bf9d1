"""A call budget shared by every process of one installation.

ICICI allows 100 calls a minute and 5000 a day per app key, and Dagster runs steps in several
processes at once, so an in-memory limiter would let each process spend the whole budget. Calls are
recorded in a sqlite file; `BEGIN IMMEDIATE` makes "count the window, then record my call" atomic
across processes, so together they never exceed either limit.
"""

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sensequant_assets.sources.breeze.answers import BreezeUnavailableError

DAY_SECONDS = 86_400.0


class DailyBudgetExhaustedError(BreezeUnavailableError):
    """Waiting for the daily budget would take longer than a run should block."""


@dataclass(frozen=True)
class RateLimiter:
    path: Path
    calls_per_window: int = 100
    window_seconds: float = 60.0
    calls_per_day: int = 5000
    day_seconds: float = DAY_SECONDS
    max_wait_seconds: float = 600.0
    """A wait longer than this (only the daily budget can cause one) fails instead of blocking."""

    def acquire(self) -> float:
        """Block until one call fits both budgets, record it, and return the seconds waited."""
        waited = 0.0
        while True:
            wait = self._try_record(time.time())
            if wait <= 0:
                return waited
            if waited + wait > self.max_wait_seconds:
                raise DailyBudgetExhaustedError(
                    f"Breeze call budget exhausted: {self.calls_per_day} calls in the last "
                    f"{self.day_seconds / 3600:g} h were already made from this installation "
                    f"(recorded in {self.path}); the next call is allowed in {wait / 60:.0f} min. "
                    "Re-run the remaining partitions later."
                )
            time.sleep(wait)
            waited += wait

    def _try_record(self, now: float) -> float:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=60, isolation_level=None)) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS calls (at REAL NOT NULL)")
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("DELETE FROM calls WHERE at <= ?", (now - self.day_seconds,))
                wait = max(
                    self._wait(conn, now, self.window_seconds, self.calls_per_window),
                    self._wait(conn, now, self.day_seconds, self.calls_per_day),
                )
                if wait <= 0:
                    conn.execute("INSERT INTO calls (at) VALUES (?)", (now,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return wait

    @staticmethod
    def _wait(conn: sqlite3.Connection, now: float, window: float, limit: int) -> float:
        """Seconds until a call at `now` would leave at most `limit` calls in `window`."""
        rows = conn.execute(
            "SELECT at FROM calls WHERE at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",
            (now - window, limit - 1),
        ).fetchone()
        # The limit-th most recent call in the window must leave it before another fits.
        return 0.0 if rows is None else rows[0] + window - now
