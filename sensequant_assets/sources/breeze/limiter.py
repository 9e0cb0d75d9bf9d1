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

The day is a rolling 24 h, not the IST calendar day. ICICI documents 5000 calls "per day" without
saying when its count resets; a rolling window never allows more than the cap in any 24 h, so it
also holds if ICICI resets at IST midnight, while a calendar-day count would allow 2 x the cap
across a midnight and fail if ICICI counts a rolling day. The price: a backfill that spent the cap
by 10:00 resumes at 10:00 the next day rather than at midnight.

Part of the daily cap can be **reserved** for the daily refreshes: a call of the `bulk` kind
(intraday backfills) may not use the last `reserve` calls of the day, a `daily` call may. A bulk
call that meets its share raises `DailyBudgetExhaustedError` with the moment the share frees up.
"""

import datetime as dt
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from sensequant_assets.market.calendar import IST
from sensequant_assets.sources.breeze.errors import BreezeUnavailableError
from sensequant_assets.sources.budget import BudgetExhaustedError, BudgetState

DAY_SECONDS = 86_400.0

# When the call arrived, at the latest: when it was answered; while in flight, now; a call whose
# process died in flight, when it would have timed out.
_STAMP = "COALESCE(done, MIN(:now, sent + :in_flight))"


class DailyBudgetExhaustedError(BreezeUnavailableError, BudgetExhaustedError):
    """The daily budget is spent: waiting would block a run for hours, so the batch stops."""


CallKind = Literal["daily", "bulk"]


@dataclass(frozen=True)
class BreezeBudget(BudgetState):
    """The Breeze app key's budget: the day's calls from every process of this installation."""

    spender: ClassVar[str] = "Breeze"


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
    reserve: int = 0
    """The last calls of each day's cap, kept for `daily` calls: `bulk` calls never use them."""
    clock: Callable[[], float] = time.time
    """Seconds since the epoch; tests pass a clock they can move a day ahead."""

    def __post_init__(self) -> None:
        if not 0 <= self.reserve < self.calls_per_day:
            raise ValueError(
                f"the daily reserve ({self.reserve}) must be at least 0 and below the daily cap "
                f"({self.calls_per_day}); set BREEZE_DAILY_RESERVE accordingly"
            )

    @contextmanager
    def slot(self, kind: CallKind = "daily") -> Iterator[float]:
        """Wait for room in both budgets, hold it for one call, and stamp the call when it ends.

        Yields the seconds waited. Whatever the call does (answer, raise, time out), it is
        stamped as done on exit, which is no earlier than its arrival at the server.
        """
        call_id, waited = self._acquire(kind)
        try:
            yield waited
        finally:
            with self._connect() as conn:
                conn.execute("UPDATE api_calls SET done = ? WHERE id = ?", (self.clock(), call_id))

    def _day_limit(self, kind: CallKind) -> int:
        return self.calls_per_day - (self.reserve if kind == "bulk" else 0)

    def _acquire(self, kind: CallKind) -> tuple[int, float]:
        waited = 0.0
        while True:
            call_id, wait = self._try_record(self.clock(), kind)
            if call_id is not None:
                return call_id, waited
            if waited + wait > self.max_wait_seconds:
                resume_at = dt.datetime.fromtimestamp(self.clock() + wait, IST)
                share = (
                    f"{self._day_limit(kind)} calls (the cap of {self.calls_per_day} less the "
                    f"{self.reserve} reserved for daily refreshes)"
                    if kind == "bulk" and self.reserve
                    else f"{self.calls_per_day} calls"
                )
                raise DailyBudgetExhaustedError(
                    f"Breeze daily call budget exhausted: {share} in the last "
                    f"{self.day_seconds / 3600:g} h were already made with this app key from this "
                    f"installation (recorded in {self.path}). Nothing more is called today; the "
                    f"next call is allowed at {resume_at:%Y-%m-%d %H:%M} IST. Re-run the failed "
                    "partitions after that.",
                    resume_at,
                )
            time.sleep(wait)
            waited += wait

    def _try_record(self, now: float, kind: CallKind) -> tuple[int | None, float]:
        """Record a call at `now` if both budgets have room; else the seconds until one may."""
        with self._connect() as conn, _immediate(conn):
            day = self.day_seconds + self.margin_seconds
            params = {"now": now, "in_flight": self.in_flight_seconds}
            conn.execute(
                f"DELETE FROM api_calls WHERE {_STAMP} <= :now - :day", params | {"day": day}
            )
            wait = max(
                self._wait(conn, params, self.window_seconds, self.calls_per_window),
                self._wait(conn, params, self.day_seconds, self._day_limit(kind)),
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

    def budget_state(self) -> BreezeBudget:
        """The day's budget as the next bulk call would find it; reads, never records."""
        now = self.clock()
        params = {"now": now, "in_flight": self.in_flight_seconds}
        used, wait = 0, 0.0
        if self.path.exists():
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            with closing(sqlite3.connect(uri, uri=True, timeout=60)) as conn:
                if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'api_calls'").fetchone():
                    span = self.day_seconds + self.margin_seconds
                    (used,) = conn.execute(
                        f"SELECT COUNT(*) FROM api_calls WHERE {_STAMP} > :now - :span",
                        params | {"span": span},
                    ).fetchone()
                    wait = self._wait(conn, params, self.day_seconds, self._day_limit("bulk"))
        left = max(self._day_limit("bulk") - used, 0)
        resume_at = dt.datetime.fromtimestamp(now + wait, IST) if left == 0 and wait > 0 else None
        return BreezeBudget(used, self.calls_per_day, self.reserve, left, resume_at)

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
