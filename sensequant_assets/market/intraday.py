"""The shape of an NSE trading day in candles: which candle starts a complete session has.

A regular session's normal market runs 09:15-15:30 IST. Breeze (like NSE's own charts) stamps a
candle with its start and cuts candles from the open: 375 one-minute candles 09:15 ... 15:29, 75
five-minute candles 09:15 ... 15:25, and 13 thirty-minute candles 09:15 ... 15:15, the last of
which covers 15:15-15:30 and is a 15-minute candle. The interval names are breeze_connect's own;
the 30-minute cut (anchored at 09:15, a short last candle) is how NSE-anchored feeds cut the day,
NOT verified against a live Breeze answer (no credentials here): the first real 30minute fetch
should confirm it, and the intraday checks name any stamp this shape does not expect. Special
sessions (Muhurat trading, the disaster-recovery Saturdays) have their
own hours, read from `data/reference/sessions.csv` through `universe.reference.load_known_days`;
the days themselves come from the same calendar the daily coverage check uses.
"""

import datetime as dt

import pandas as pd

from sensequant_assets.market.calendar import (
    IST,
    NSE_CLOSE,
    NSE_OPEN,
    KnownDays,
    sessions_in_year,
    trading_days,
)

INTERVALS: dict[str, int] = {"1minute": 1, "5minute": 5, "30minute": 30}
"""Minutes per candle of each Breeze intraday interval the platform stores."""

REGULAR_HOURS: tuple[tuple[dt.time, dt.time], ...] = ((NSE_OPEN, NSE_CLOSE),)


class SessionHoursUnknownError(ValueError):
    """A special session whose hours the reference file does not give: no candle is expected."""


def minutes_per_candle(interval: str) -> int:
    try:
        return INTERVALS[interval]
    except KeyError:
        raise ValueError(
            f"interval {interval!r} is not an intraday interval; use one of {', '.join(INTERVALS)}"
        ) from None


def session_hours(day: dt.date, known: KnownDays) -> tuple[tuple[dt.time, dt.time], ...]:
    """The normal-market segments of `day` (none when the market was closed)."""
    if day in known.holidays:
        return ()
    if day in known.hours:
        return tuple(known.hours[day])
    if day in known.sessions:
        raise SessionHoursUnknownError(
            f"{day} is a special session ({known.sessions[day]}) whose hours are not in "
            "data/reference/sessions.csv: add them to its row as the last field, e.g. "
            f'`{day},session,"{known.sessions[day]}",18:15-19:15`, from NSE\'s circular.'
        )
    return REGULAR_HOURS if day in sessions_in_year(day.year) else ()


def session_candles(day: dt.date, interval: str, known: KnownDays) -> pd.DatetimeIndex:
    """Start stamps (IST) of every candle a complete session of `day` has at `interval`.

    Candles are cut from each segment's open; a last candle shorter than the interval (15:15-15:30
    at 30minute) is still a candle. A closed day has none.
    """
    step = pd.Timedelta(minutes=minutes_per_candle(interval))
    stamps: list[pd.Timestamp] = []
    for start, end in session_hours(day, known):
        first = pd.Timestamp(dt.datetime.combine(day, start), tz=IST)
        last = pd.Timestamp(dt.datetime.combine(day, end), tz=IST)
        stamps += list(pd.date_range(first, last - pd.Timedelta(minutes=1), freq=step))
    return pd.DatetimeIndex(stamps, dtype=f"datetime64[ns, {IST.key}]")


def month_sessions(year: int, month: int, known: KnownDays) -> list[dt.date]:
    """The month's sessions: the calendar's, less known holidays, plus known special sessions."""
    days = {d for d in trading_days(year, known) if d.month == month}
    days |= {d for d in known.sessions if (d.year, d.month) == (year, month)}
    return sorted(days)


def month_candles(
    year: int, month: int, interval: str, known: KnownDays, through: dt.date | None = None
) -> pd.DatetimeIndex:
    """Every candle start the month's sessions (up to `through`, if given) have, in order."""
    days = [d for d in month_sessions(year, month, known) if through is None or d <= through]
    if not days:
        return pd.DatetimeIndex([], dtype=f"datetime64[ns, {IST.key}]")
    return pd.DatetimeIndex(
        [ts for day in days for ts in session_candles(day, interval, known)],
        dtype=f"datetime64[ns, {IST.key}]",
    )
