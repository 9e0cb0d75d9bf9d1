"""What intraday history costs in Breeze calls, and how long a page takes against the stand-in.

Run: `python -m benchmarks.intraday_calls` (prints JSON; docs/benchmarks.md quotes it). Method:

- Calls per symbol-month: `sources.intraday_plan.calls_for_month` on the real NSE calendar
  (exchange_calendars' XBOM plus data/reference/sessions.csv, special-session hours included)
  for every month of 2022-2024, at each interval.
- Plan: `plan()` for 100 symbols x those 36 months at 100 calls a minute and 5000 a day, with no
  reserve and with the default reserve (BREEZE_DAILY_RESERVE).
- Seconds per page: `BreezeSource.fetch_intraday` through the real breeze_connect client against
  the stand-in server, fresh cache, rate limit off, for `symbols` stand-in symbols x the first
  `months` months of 2024 at 1minute. The stand-in's synthetic candles are generated before the
  clock starts, so the figure is the client's share (HTTP, JSON, page checks, cache write) plus
  the server's answer.
"""

import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from sensequant_assets.market.intraday import INTERVALS
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets.sources.intraday_plan import calls_for_month, months_of, plan
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days
from sensequant_assets_tests.support.standin_breeze import (
    BENCHMARK_SYMBOLS,
    StandinBreeze,
    standin_source,
)

MONTHS = months_of(dt.date(2022, 1, 1), dt.date(2024, 12, 31))
START = dt.date(2026, 12, 1)


def calls_and_plans() -> dict[str, object]:
    known = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
    reserve = BreezeSource.model_fields["daily_reserve"].default
    out: dict[str, object] = {}
    for interval in INTERVALS:
        per_month = [calls_for_month(m.year, m.month, interval, known) for m in MONTHS]
        no_reserve = plan(100, MONTHS, interval, known, start=START)
        reserved = plan(100, MONTHS, interval, known, reserve=reserve, start=START)
        out[interval] = {
            "calls_per_symbol_month": {
                "min": min(per_month),
                "mean": round(statistics.mean(per_month), 2),
                "max": max(per_month),
            },
            "nifty100_3y_calls": no_reserve.calls,
            "hours_at_100_per_minute": round(no_reserve.minutes_at_rate / 60, 2),
            "days_at_5000": no_reserve.days_at_cap,
            f"days_at_5000_less_{reserve}": reserved.days_at_cap,
            "finish_from_2026_12_01": str(no_reserve.finish_date),
        }
    return out


def seconds_per_page(symbols: int = 4, months: int = 3) -> dict[str, float | int]:
    server = StandinBreeze.shared()
    server.reset()
    names = BENCHMARK_SYMBOLS[:symbols]
    asked = MONTHS[24 : 24 + months]
    codes = [f"BM{i:03d}" for i in range(1, symbols + 1)]
    for code in codes:  # the server's candles exist before the clock starts
        for month in asked:
            server.intraday_candles(code, *_month_span(month), "1minute")
    with tempfile.TemporaryDirectory() as tmp:
        source = standin_source(server, Path(tmp), calls_per_minute=10**6, calls_per_day=10**6)
        mappings = [source.lookup(name, name) for name in names]
        calls_before = len(server.historical_calls())
        started = time.perf_counter()
        rows = sum(
            len(source.fetch_intraday(mapping, month, "1minute"))
            for mapping in mappings
            for month in asked
        )
        wall = time.perf_counter() - started
    pages = len(server.historical_calls()) - calls_before
    server.reset()
    return {
        "symbol_months": symbols * months,
        "pages": pages,
        "rows": rows,
        "wall_seconds": round(wall, 2),
        "seconds_per_page": round(wall / pages, 4),
    }


def _month_span(month: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    first = pd.Timestamp(month, tz="Asia/Kolkata")
    return first, first + pd.offsets.MonthBegin(1) - pd.Timedelta(seconds=1)


if __name__ == "__main__":
    print(json.dumps({"plan": calls_and_plans(), "stand_in": seconds_per_page()}, indent=2))
