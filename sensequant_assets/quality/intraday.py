"""Checks of one symbol-month of intraday candles: the shape of each trading day, and agreement
with the daily bars of the same days.

A session's shape (its candle start stamps, 375 at 1minute from 09:15 to 15:29; special and
shortened sessions from data/reference/sessions.csv, as coverage of daily bars reads them) comes
in a `MonthShape`, so every rule here is a plain function of frames. Failures name the day and
the first missing or offending minute, which is where a user starts looking.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from sensequant_assets.market.calendar import KnownDays, last_completed_session
from sensequant_assets.market.intraday import month_sessions, session_candles
from sensequant_assets.quality.coverage import SHOWN_DATES
from sensequant_assets.quality.integrity import IntegrityResult, check_integrity

# Daily and intraday bars come from the same trades, so their high and low agree to the tick;
# one NSE tick (0.05), or 0.01 % of the price where a price is high enough that a feed rounds
# more coarsely, absorbs rounding and nothing else.
TICK_TOLERANCE = 0.05
RELATIVE_PRICE_TOLERANCE = 0.0001
# Summed candle volumes may leave out trades that a daily bar counts outside the candles (block
# deals, late reports): 1 % allows those and still catches a missing half hour (~8 % of a day).
VOLUME_TOLERANCE = 0.01
# NSE's official close is the volume-weighted price of the session's last 30 minutes, and a feed's
# daily close is that or the last trade; both lie within those 30 minutes' low and high.
CLOSING_WINDOW = dt.timedelta(minutes=30)


def _minute(stamp: pd.Timestamp) -> str:
    return f"{stamp:%Y-%m-%d %H:%M}"


def _shown(items: list[str], total: int) -> str:
    more = f" and {total - len(items)} more" if total > len(items) else ""
    return ", ".join(items) + more


@dataclass(frozen=True)
class MonthShape:
    """The candles each session of a symbol-month should have, at one interval."""

    candles: Mapping[dt.date, pd.DatetimeIndex]
    """Every session of the month the symbol should have traded, with its candle starts (IST)."""
    optional: frozenset[dt.date] = frozenset()
    """Special sessions (a Muhurat hour): complete where present, never due where absent, as
    coverage_check treats them on daily bars."""

    def stamps_of(self, day: dt.date) -> pd.DatetimeIndex | None:
        return self.candles.get(day)


def month_shape(
    month: dt.date,
    interval: str,
    known: KnownDays,
    listed_on: dt.date | None = None,
    now: dt.datetime | None = None,
    last_session: dt.date | None = None,
) -> MonthShape:
    """The sessions of `month` a symbol should have candles for (from its listing date, up to
    the last completed session or the last session of a listing that ended), each with its
    candles; `known` is data/reference/sessions.csv, which gives special sessions and hours."""
    last = min(last_completed_session(now, known), last_session or dt.date.max)
    days = [
        day
        for day in month_sessions(month.year, month.month, known)
        if day <= last and (listed_on is None or day >= listed_on)
    ]
    return MonthShape(
        candles={day: session_candles(day, interval, known) for day in days},
        optional=frozenset(day for day in days if day in known.sessions),
    )


@dataclass(frozen=True)
class SessionGap:
    day: dt.date
    expected: int
    missing: int
    first_missing: pd.Timestamp

    def __str__(self) -> str:
        if self.missing == self.expected:
            return f"{self.day} has no candles (from {self.first_missing:%H:%M})"
        return (
            f"{self.day} lacks {self.missing} of {self.expected} candles, "
            f"first missing {self.first_missing:%H:%M}"
        )


@dataclass(frozen=True)
class SessionsResult:
    """Every due session has all its candles."""

    partition: str
    interval: str
    sessions_due: int
    gaps: tuple[SessionGap, ...]
    special_present: tuple[dt.date, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.gaps

    def describe(self) -> str:
        special = (
            f"; special session(s) present: {', '.join(map(str, self.special_present))}"
            if self.special_present
            else ""
        )
        if self.passed:
            return (
                f"All {self.sessions_due} sessions of {self.partition} have every "
                f"{self.interval} candle{special}."
            )
        shown = [str(gap) for gap in self.gaps[:SHOWN_DATES]]
        return (
            f"{len(self.gaps)} of {self.sessions_due} sessions lack candles: "
            f"{_shown(shown, len(self.gaps))}{special}"
        )

    def metadata(self) -> dict[str, object]:
        return {
            "interval": self.interval,
            "sessions_due": self.sessions_due,
            "sessions_with_gaps": len(self.gaps),
            "candles_missing": sum(gap.missing for gap in self.gaps),
            "first_missing_minutes": [_minute(gap.first_missing) for gap in self.gaps[:10]],
            "special_sessions_present": [day.isoformat() for day in self.special_present],
        }


def check_sessions(
    bars: pd.DataFrame, partition: str, interval: str, shape: MonthShape
) -> SessionsResult:
    """Compare each session's candles with its shape; name each gap's day and first minute."""
    stamps = bars["ts"]
    by_day = {day: set(group) for day, group in stamps.groupby(stamps.dt.date)} if len(bars) else {}
    gaps = []
    for day, expected in sorted(shape.candles.items()):
        present = by_day.get(day, set())
        if day in shape.optional and not present:
            continue
        missing = [stamp for stamp in expected if stamp not in present]
        if missing:
            gaps.append(SessionGap(day, len(expected), len(missing), missing[0]))
    due = sum(1 for day in shape.candles if day not in shape.optional or day in by_day)
    return SessionsResult(
        partition=partition,
        interval=interval,
        sessions_due=due,
        gaps=tuple(gaps),
        special_present=tuple(sorted(d for d in shape.optional if d in by_day)),
    )


@dataclass(frozen=True)
class HoursResult:
    """No candle starts outside its session's hours, nor on a day that is no session."""

    partition: str
    candles: int
    outside: tuple[tuple[pd.Timestamp, str], ...]

    @property
    def passed(self) -> bool:
        return not self.outside

    def describe(self) -> str:
        if self.passed:
            return f"All {self.candles} candles of {self.partition} start within market hours."
        shown = [f"{_minute(stamp)} ({why})" for stamp, why in self.outside[:SHOWN_DATES]]
        return (
            f"{len(self.outside)} candle(s) outside market hours: "
            f"{_shown(shown, len(self.outside))}"
        )

    def metadata(self) -> dict[str, object]:
        return {
            "candles": self.candles,
            "outside_count": len(self.outside),
            "first_outside": {_minute(stamp): why for stamp, why in self.outside[:10]},
        }


def check_hours(bars: pd.DataFrame, partition: str, shape: MonthShape) -> HoursResult:
    """Every candle's start is one of its day's session stamps (a 15:45 candle is not)."""
    if bars.empty:
        return HoursResult(partition, 0, ())
    outside = []
    stamps = bars["ts"]
    for day, group in stamps.groupby(stamps.dt.date, sort=True):
        expected = shape.stamps_of(day)
        if expected is None:
            outside += [(stamp, f"{day:%A} {day} is not a session") for stamp in group]
            continue
        first, last = expected.min(), expected.max()
        for stamp in group[~group.isin(expected)]:
            where = (
                f"before the first candle {first:%H:%M}"
                if stamp < first
                else f"after the last candle {last:%H:%M}"
                if stamp > last
                else "not on the session's candle grid"
            )
            outside.append((stamp, where))
    return HoursResult(partition, len(bars), tuple(outside))


@dataclass(frozen=True)
class DayDisagreement:
    day: dt.date
    problems: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.day}: {'; '.join(self.problems)}"


@dataclass(frozen=True)
class ConsistencyResult:
    """Each day's candles agree with that day's daily bar."""

    partition: str
    days_compared: int
    disagreements: tuple[DayDisagreement, ...]
    without_daily: tuple[dt.date, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not self.disagreements and not self.without_daily

    def describe(self) -> str:
        tolerances = (
            f"high and low within one tick ({TICK_TOLERANCE}) or "
            f"{RELATIVE_PRICE_TOLERANCE:.2%}, volume within {VOLUME_TOLERANCE:.0%}, the daily "
            "close within the last 30 minutes' low-high"
        )
        if self.passed:
            return (
                f"All {self.days_compared} days of {self.partition} agree with daily_bars "
                f"({tolerances})."
            )
        parts = []
        if self.disagreements:
            shown = [str(d) for d in self.disagreements[:SHOWN_DATES]]
            parts.append(
                f"{len(self.disagreements)} of {self.days_compared} day(s) disagree with "
                f"daily_bars ({tolerances}): {_shown(shown, len(self.disagreements))}"
            )
        if self.without_daily:
            shown = [day.isoformat() for day in self.without_daily[:SHOWN_DATES]]
            parts.append(
                f"{len(self.without_daily)} day(s) have candles but no daily bar to compare "
                f"with ({_shown(shown, len(self.without_daily))}): materialize daily_bars for "
                "that symbol-year, then re-run this check"
            )
        return "; ".join(parts)

    def metadata(self) -> dict[str, object]:
        return {
            "days_compared": self.days_compared,
            "days_disagreeing": len(self.disagreements),
            "first_disagreements": {
                d.day.isoformat(): list(d.problems) for d in self.disagreements[:10]
            },
            "days_without_daily_bar": [day.isoformat() for day in self.without_daily[:10]],
            "volume_tolerance": VOLUME_TOLERANCE,
            "tick_tolerance": TICK_TOLERANCE,
        }


def _price_off(intraday: float, daily: float) -> bool:
    return abs(intraday - daily) > max(TICK_TOLERANCE, RELATIVE_PRICE_TOLERANCE * abs(daily))


def check_daily_consistency(
    bars: pd.DataFrame, daily: pd.DataFrame, partition: str
) -> ConsistencyResult:
    """Each day's intraday high, low, volume and close against the daily bar of that date.

    `daily` holds daily_bars rows (a `date` column) covering the month; days of the daily bars
    without candles are the sessions check's to report, not this one's.
    """
    if bars.empty:
        return ConsistencyResult(partition, 0, ())
    frame = bars.assign(_stamp=bars["ts"], _day=bars["ts"].dt.date)
    frame = frame.sort_values("_stamp", kind="stable")
    by_date = {pd.Timestamp(row.date).date(): row for row in daily.itertuples()}
    disagreements, without = [], []
    compared = 0
    for day, candles in frame.groupby("_day", sort=True):
        row = by_date.get(day)
        if row is None:
            without.append(day)
            continue
        compared += 1
        problems = []
        high, low = float(candles["high"].max()), float(candles["low"].min())
        if _price_off(high, row.high):
            problems.append(f"high {high:g} vs daily {row.high:g}")
        if _price_off(low, row.low):
            problems.append(f"low {low:g} vs daily {row.low:g}")
        volume = int(candles["volume"].sum())
        if abs(volume - row.volume) > VOLUME_TOLERANCE * max(row.volume, 1):
            change = (volume - row.volume) / max(row.volume, 1)
            problems.append(f"volume {volume:,} vs daily {row.volume:,} ({change:+.1%})")
        closing = candles[candles["_stamp"] >= candles["_stamp"].max() - CLOSING_WINDOW]
        window_low, window_high = float(closing["low"].min()), float(closing["high"].max())
        slack = max(TICK_TOLERANCE, RELATIVE_PRICE_TOLERANCE * abs(row.close))
        if not window_low - slack <= row.close <= window_high + slack:
            problems.append(
                f"daily close {row.close:g} outside the last 30 minutes' range "
                f"{window_low:g}-{window_high:g} (last candle close "
                f"{float(candles['close'].iloc[-1]):g})"
            )
        if problems:
            disagreements.append(DayDisagreement(day, tuple(problems)))
    return ConsistencyResult(partition, compared, tuple(disagreements), tuple(without))


@dataclass(frozen=True)
class SymbolMonthQuality:
    """Every intraday check of one symbol-month, judged from one read."""

    partition: str
    sessions: SessionsResult
    hours: HoursResult
    integrity: IntegrityResult
    consistency: ConsistencyResult


def evaluate_symbol_month(
    bars: pd.DataFrame,
    daily: pd.DataFrame,
    partition: str,
    interval: str,
    shape: MonthShape,
) -> SymbolMonthQuality:
    """The four checks of one partition: `bars` its stored candles (ts zoned IST), `daily` the
    daily_bars rows of the same symbol and month, `shape` from `month_shape`."""
    return SymbolMonthQuality(
        partition=partition,
        sessions=check_sessions(bars, partition, interval, shape),
        hours=check_hours(bars, partition, shape),
        integrity=check_integrity(bars, partition, stamp="ts"),
        consistency=check_daily_consistency(bars, daily, partition),
    )
