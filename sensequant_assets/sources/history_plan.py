"""What a daily-history backfill (a deeper SENSEQUANT_FIRST_YEAR) costs in Breeze calls.

The Breeze source asks a symbol's consecutive years in one call, at most MAX_YEARS_PER_CALL (3:
every weekday of three leap years plus special sessions and the two margin days stay under the
1000-candle cap), so a symbol's years cost `len(call_spans(years))` calls: 10 years, 4 calls, each
of about 750 sessions. The calls are then spread over the app key's limits as the intraday plan
spreads them (`sources.intraday_plan`): the per-minute rate sets the wall time, the daily cap less
the reserve kept for the evening refreshes sets the days. Closed years, once fetched, are cached,
so a re-run or a second extension asks only for the years not fetched yet.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sensequant_assets.sources.breeze.daily import call_spans


@dataclass(frozen=True)
class HistoryPlan:
    symbols: int
    years: tuple[int, ...]
    calls_per_symbol: int
    per_minute: int
    per_day: int
    reserve: int

    @property
    def calls(self) -> int:
        return self.symbols * self.calls_per_symbol

    @property
    def minutes_at_rate(self) -> float:
        return self.calls / self.per_minute

    @property
    def days_at_cap(self) -> int:
        return math.ceil(self.calls / (self.per_day - self.reserve))

    def __str__(self) -> str:
        span = f"{self.years[0]}-{self.years[-1]}" if self.years else "no year"
        return (
            f"Daily history plan: {self.symbols} symbols x {span} ({len(self.years)} years) = "
            f"{self.calls:,} Breeze calls ({self.calls_per_symbol} a symbol: up to 3 consecutive "
            f"years a call, each under the 1000-candle cap). At {self.per_minute} calls/min that "
            f"is {self.minutes_at_rate:.1f} min of calls; at {self.per_day:,} a day less "
            f"{self.reserve:,} kept for the daily refreshes it takes {self.days_at_cap} day(s). "
            "Closed years are cached once fetched: a re-run asks only for what is missing."
        )


def history_plan(
    symbols: int | Sequence[str],
    years: Sequence[int],
    per_minute: int = 100,
    per_day: int = 5000,
    reserve: int = 0,
) -> HistoryPlan:
    """The calls, wall time and days of fetching every symbol's daily bars for `years`."""
    if not 0 <= reserve < per_day:
        raise ValueError(f"the reserve ({reserve}) must be at least 0 and below {per_day} a day")
    return HistoryPlan(
        symbols=symbols if isinstance(symbols, int) else len(symbols),
        years=tuple(sorted(set(years))),
        calls_per_symbol=len(call_spans(years)),
        per_minute=per_minute,
        per_day=per_day,
        reserve=reserve,
    )
