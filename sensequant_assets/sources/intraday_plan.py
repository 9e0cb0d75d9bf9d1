"""What an intraday backfill costs in Breeze calls, before it starts.

A symbol-month is paged into calls of up to 1000 candles each, pages ending wherever the cap falls
(inside a session too), so its minimum is ceil(candles the month's sessions have / 1000), counted
on the same calendar the checks use (`market.intraday`). The plan then spreads the calls over the
app key's two limits: the per-minute rate sets the wall time, the daily cap less the reserve kept
for daily refreshes sets the days. A day here is the limiter's rolling 24 h, so a backfill started
on day 1 makes its last call on day `days_at_cap`.
"""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sensequant_assets.market.calendar import KnownDays
from sensequant_assets.market.intraday import month_candles
from sensequant_assets.sources.breeze.candles import CANDLE_CAP


def calls_for_month(
    year: int, month: int, interval: str, known: KnownDays, cap: int = CANDLE_CAP
) -> int:
    """The fewest calls that hold every candle of the month's sessions at `interval`."""
    return math.ceil(len(month_candles(year, month, interval, known)) / cap)


@dataclass(frozen=True)
class CallPlan:
    symbols: int
    months: int
    interval: str
    calls: int
    per_minute: int
    per_day: int
    reserve: int
    minutes_at_rate: float
    """Wall time if only the per-minute rate held (calls / per_minute)."""
    days_at_cap: int
    """Days the daily cap less the reserve spreads the calls over (0 for no calls)."""
    start: dt.date
    finish_date: dt.date

    def __str__(self) -> str:
        hours = self.minutes_at_rate / 60
        return (
            f"Intraday plan: {self.symbols} symbols x {self.months} months at {self.interval} = "
            f"{self.calls:,} Breeze calls. At {self.per_minute} calls/min that is "
            f"{hours:.1f} h of calls; at {self.per_day:,} a day less {self.reserve:,} reserved "
            f"for daily refreshes ({self.per_day - self.reserve:,} for intraday) it takes "
            f"{self.days_at_cap} day(s): started {self.start}, last call on {self.finish_date}. "
            "A backfill that meets the day's share pauses and resumes the next day without "
            "fetching a finished page again."
        )


def plan(
    symbols: int | Sequence[str],
    months: Sequence[dt.date],
    interval: str,
    known: KnownDays,
    per_minute: int = 100,
    per_day: int = 5000,
    reserve: int = 0,
    start: dt.date | None = None,
) -> CallPlan:
    """The calls, wall time and days of fetching every symbol's `months` at `interval`."""
    if not 0 <= reserve < per_day:
        raise ValueError(f"the reserve ({reserve}) must be at least 0 and below {per_day} a day")
    count = symbols if isinstance(symbols, int) else len(symbols)
    per_symbol = sum(calls_for_month(m.year, m.month, interval, known) for m in set(months))
    calls = count * per_symbol
    days = math.ceil(calls / (per_day - reserve))
    first = start or dt.date.today()
    return CallPlan(
        symbols=count,
        months=len(set(months)),
        interval=interval,
        calls=calls,
        per_minute=per_minute,
        per_day=per_day,
        reserve=reserve,
        minutes_at_rate=calls / per_minute,
        days_at_cap=days,
        start=first,
        finish_date=first + dt.timedelta(days=max(days - 1, 0)),
    )


def months_of(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of every month from `first`'s to `last`'s, inclusive."""
    out = []
    month = first.replace(day=1)
    while month <= last:
        out.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out
