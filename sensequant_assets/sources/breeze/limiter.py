"""A call budget shared by every process of one installation.

ICICI allows 100 calls a minute and 5000 a day per app key, and Dagster runs steps in several
processes at once, so an in-memory limiter would let each process spend the whole budget. Calls are
recorded in a sqlite file; `BEGIN IMMEDIATE` makes "count the window, then record my call" atomic
across processes, so together they never exceed either limit.

The server counts calls when they *arrive*, which is some time after we send them. Stamping a call
only when it is sent let call N+100 leave exactly 60 s after call N and arrive 59.98 s after it
(a 429). So a call is stamped again when its answer is back: the server saw it no later than that.
A call still in flight counts as arriving now, since it may arrive at any moment, and each window
is lengthened by a margin for how the server rounds its own clock. Then call N+limit leaves no
sooner than `window + margin` after call N was answered, which is after it arrived.
"""

import datetime as dt
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sensequant_assets.market.calendar import IST
from sensequant_assets.sources.breeze.answers import BreezeUnavailableError

DAY_SECONDS = 86_400.0

# When the call arrived, at the latest: when it was answered; while in flight, now; a call whose
# process died in flight, when it would have timed out.
_STAMP = "COALESCE(done, MIN(:now, sent + :in_flight))"


class DailyBudgetExhaustedError(BreezeUnavailableError):
    """The daily budget is spent: waiting would block a run for hours, so the batch stops."""

    def __init__(self, message: str, resume_at: dt.datetime) -> None:
        super().__init__(message)
        self.resume_at = resume_at

    def __reduce__(self) -> tuple[type, tuple[str, dt.datetime]]:
        """Survive pickling (run workers, process pools): rebuilt with its resume time."""
        return type(self), (str(self), self.resume_at)


@dataclass(frozen=True)
class RateLimiter:
    path: Path
    calls_per_window: int = 100
    window_seconds: float = 60.0
    calls_per_day: int = 5000
    day_seconds: float = DAY_SECONDS
    margin_seconds: float = 0.0
    """Added to both windows: a call counts until this long after the window has passed."""
    in_flight_seconds: float = 300.0
    """The longest a call can be in flight (its timeout): bounds a call whose process died."""
    max_wait_seconds: float = 600.0
    """A wait longer than this (only the daily budget can cause one) fails instead of blocking."""

    @contextmanager
    def slot(self) -> Iterator[float]:
        """Wait for room in both budgets, hold it for one call, and stamp the call when it ends.

        Yields the seconds waited. Whatever the call does (answer, raise, time out), it is
        stamped as done on exit, which is no earlier than its arrival at the server.
        """
        call_id, waited = self._acquire()
        try:
            yield waited
        finally:
            with self._connect() as conn:
                conn.execute("UPDATE api_calls SET done = ? WHERE id = ?", (time.time(), call_id))

    def _acquire(self) -> tuple[int, float]:
        waited = 0.0
        while True:
            call_id, wait = self._try_record(time.time())
            if call_id is not None:
                return call_id, waited
            if waited + wait > self.max_wait_seconds:
                resume_at = dt.datetime.fromtimestamp(time.time() + wait, IST)
                raise DailyBudgetExhaustedError(
                    f"Breeze daily call budget exhausted: {self.calls_per_day} calls in the last "
                    f"{self.day_seconds / 3600:g} h were already made with this app key from this "
                    f"installation (recorded in {self.path}). Nothing more is called today; the "
                    f"next call is allowed at {resume_at:%Y-%m-%d %H:%M} IST. Re-run the failed "
                    "partitions after that.",
                    resume_at,
                )
            time.sleep(wait)
            waited += wait

    def _try_record(self, now: float) -> tuple[int | None, float]:
        """Record a call at `now` if both budgets have room; else the seconds until one may."""
        with self._connect() as conn, _immediate(conn):
            day = self.day_seconds + self.margin_seconds
            params = {"now": now, "in_flight": self.in_flight_seconds}
            conn.execute(
                f"DELETE FROM api_calls WHERE {_STAMP} <= :now - :day", params | {"day": day}
            )
            wait = max(
                self._wait(conn, params, self.window_seconds, self.calls_per_window),
                self._wait(conn, params, self.day_seconds, self.calls_per_day),
            )
            if wait > 0:
                return None, wait
            return conn.execute("INSERT INTO api_calls (sent) VALUES (?)", (now,)).lastrowid, 0.0

    def _wait(
        self, conn: sqlite3.Connection, params: dict[str, float], window: float, limit: int
    ) -> float:
        """Seconds until a call at `now` leaves at most `limit` calls in `window` (plus margin)."""
        span = window + self.margin_seconds
        row = conn.execute(
            f"SELECT {_STAMP} AS stamp FROM api_calls WHERE {_STAMP} > :now - :span "
            "ORDER BY stamp DESC LIMIT 1 OFFSET :skip",
            params | {"span": span, "skip": limit - 1},
        ).fetchone()
        # The limit-th most recent call in the window must leave it before another fits.
        return 0.0 if row is None else row[0] + span - params["now"]

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=60, isolation_level=None)) as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS api_calls "
                "(id INTEGER PRIMARY KEY, sent REAL NOT NULL, done REAL)"
            )
            _adopt_send_stamped_calls(conn)
            yield conn


def _adopt_send_stamped_calls(conn: sqlite3.Connection) -> None:
    """Carry over the calls an older limiter recorded (table `calls`, stamped when sent only), so
    that an upgrade in the middle of a day still counts them against both budgets."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'calls'").fetchone() is None:
        return
    with _immediate(conn):
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'calls'").fetchone():
            conn.execute("INSERT INTO api_calls (sent, done) SELECT at, at FROM calls")
            conn.execute("DROP TABLE calls")


@contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction that takes the lock at once, so count-then-record is atomic."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
