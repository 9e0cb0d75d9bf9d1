"""A symbol-month of intraday candles from Breeze, in the fewest calls the 1000-candle cap allows.

The month's expected candles are cut into pages (`pages.py`), asked in order as bulk calls, which
leave the daily reserve alone; each answer is checked against its page and cached as it arrives,
so a fetch that meets the day's budget raises `DailyBudgetExhaustedError` and the re-run the next
day asks only the pages not yet cached.
"""

import datetime as dt
from pathlib import Path

import pandas as pd

from sensequant_assets.market.calendar import last_completed_session
from sensequant_assets.market.intraday import minutes_per_candle, month_candles
from sensequant_assets.sources.bars import BarsValidationError
from sensequant_assets.sources.base import SymbolMapping
from sensequant_assets.sources.breeze.cache import AnswerCache
from sensequant_assets.sources.breeze.calls import Stats, new_stats
from sensequant_assets.sources.breeze.connection import BreezeConnection
from sensequant_assets.sources.breeze.errors import BreezeAnswerError
from sensequant_assets.sources.breeze.pages import Page, join_pages, page_frame, plan_pages
from sensequant_assets.sources.intraday_bars import conform_intraday, empty_intraday
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days


def fetch_month(
    connection: BreezeConnection,
    cache: AnswerCache,
    mapping: SymbolMapping,
    month: dt.date,
    interval: str,
    now: dt.datetime,
    reference_dir: Path,
) -> pd.DataFrame:
    """The month's candles, from the sessions and hours in `reference_dir` through the last
    session completed at `now`; the frame's `attrs["stats"]` holds the counters."""
    minutes = minutes_per_candle(interval)
    if month.day != 1:
        raise ValueError(f"month must be the first day of a month, not {month}")
    label = f"{mapping.symbol}|{month:%Y-%m} at {interval}"
    if not mapping.resolved or mapping.isec_code is None:
        raise BreezeAnswerError(
            f"{label}: no ISEC stock code (mapping {mapping.status}: {mapping.error}); fix "
            "the symbol mapping before fetching bars."
        )
    isec_code = mapping.isec_code
    known = load_known_days(reference_dir / SESSIONS_FILE)
    through = last_completed_session(now, known)
    expected = month_candles(month.year, month.month, interval, known, through)
    pages = plan_pages(expected, minutes)
    context = f"Breeze {label} (stock_code={isec_code}) at {connection.historical_url}"
    stats = new_stats() | {"pages": len(pages)}
    frames = []
    for page in pages:
        cached = cache.load_page(isec_code, interval, page.first, page.last, page.end)
        if cached.state == "hit":
            stats["cache_hits"] = int(stats["cache_hits"]) + 1
            frames.append(page_frame(cached.payload["Success"], page, context))
            continue
        candles = _ask_page(connection, isec_code, interval, page, context, stats)
        frame = page_frame(candles, page, context)  # refused pages are never cached
        cache.store_page(
            isec_code,
            interval,
            page.first,
            page.last,
            {"Success": candles, "Status": 200, "Error": None},
            now,
        )
        frames.append(frame)
    if not frames:
        bars = empty_intraday()
    else:
        try:
            joined = join_pages(frames, pages, context)
            bars = conform_intraday(joined, mapping.symbol, month, where=context)
        except BarsValidationError:
            cache.discard_pages(isec_code, interval, month)  # refused: asked again next run
            raise
    if bars.empty:
        stats["note"] = f"{context} answered no candles for {len(pages)} pages"
    bars.attrs["stats"] = stats
    return bars


def _ask_page(
    connection: BreezeConnection,
    isec_code: str,
    interval: str,
    page: Page,
    context: str,
    stats: Stats,
) -> list[object]:
    from_date, to_date = page.request()
    where = (
        f"{context}: get_historical_data_v2(interval={interval}, from_date={from_date}, "
        f"to_date={to_date}) for {page.label()}"
    )
    return connection.historical(isec_code, interval, (from_date, to_date), where, stats, "bulk")
