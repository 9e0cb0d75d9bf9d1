"""A symbol's daily bars from Breeze, consecutive years in one call.

A year of daily bars is about 250 candles and a call answers up to 1000, so a symbol's consecutive
years are asked in one `get_historical_data_v2(interval="1day")` call, up to three a call, and the
answer is split per year: each year is validated, cached and reported on its own. Closed years
(including empty ones) are served from the answer cache, so re-runs make no calls.
"""

import datetime as dt
from collections.abc import Sequence
from functools import partial

import dagster as dg

from sensequant_assets.market.calendar import IST, last_closed_day
from sensequant_assets.sources.bars import BarsValidationError, empty_bars
from sensequant_assets.sources.base import FetchResult, SourceAuthError, SymbolMapping
from sensequant_assets.sources.breeze.cache import AnswerCache, CacheLookup, year_is_final
from sensequant_assets.sources.breeze.calls import new_stats
from sensequant_assets.sources.breeze.candles import (
    CANDLE_CAP,
    MAX_YEARS_PER_CALL,
    answer_frame,
    candles_to_bars,
    year_bars,
    year_rows,
)
from sensequant_assets.sources.breeze.connection import BreezeConnection
from sensequant_assets.sources.breeze.errors import BreezeAnswerError

INTERVAL = "1day"


def fetch_years(
    connection: BreezeConnection,
    cache: AnswerCache,
    mapping: SymbolMapping,
    years: Sequence[int],
    *,
    refetch: bool,
    refetch_empty_years: bool,
    cache_when_accepted: bool,
) -> dict[int, FetchResult | Exception]:
    """A symbol's years in as few calls as fit under the candle cap, each year's own result
    (`BreezeSource.fetch_years` says what each flag does)."""
    if not mapping.resolved or mapping.isec_code is None:
        return {
            year: BreezeAnswerError(
                f"{mapping.symbol}|{year}: no ISEC stock code (mapping {mapping.status}: "
                f"{mapping.error}); fix the symbol mapping before fetching bars."
            )
            for year in years
        }
    results: dict[int, FetchResult | Exception] = {}
    to_ask: list[int] = []
    corrupt: list[int] = []
    for year in sorted(set(years)):
        cached = CacheLookup("miss") if refetch else cache.load(mapping.isec_code, year, INTERVAL)
        if cached.state == "hit" and (cached.payload["Success"] or not refetch_empty_years):
            results[year] = from_cache(cached, mapping, year)
            if isinstance(result := results[year], FetchResult):
                result.reject = partial(cache.discard, mapping.isec_code, year, INTERVAL)
            continue
        if cached.state == "corrupt":
            corrupt.append(year)
            dg.get_dagster_logger().warning(
                f"Corrupt Breeze cache entry refetched ({cached.detail})"
            )
        to_ask.append(year)
    results |= _ask(connection, mapping, call_spans(to_ask), cache)
    for year in corrupt:
        if isinstance(result := results[year], FetchResult):
            result.stats["cache_corrupt"] = 1
    if not cache_when_accepted:
        for result in results.values():
            if isinstance(result, FetchResult):
                result.accept()
    return {year: results[year] for year in years}


def from_cache(cached: CacheLookup, mapping: SymbolMapping, year: int) -> FetchResult | Exception:
    """A closed year as it was answered; rules that changed since still apply."""
    assert cached.fetched_at is not None  # every hit says when it was fetched
    stats = new_stats() | {"cache_hits": 1}
    candles = cached.payload["Success"]
    asked = f"{cached.fetched_at.astimezone(IST):%Y-%m-%d %H:%M} IST"
    if not candles:
        stats["note"] = (
            f"Breeze answered no candles for {mapping.symbol}|{year} when asked on {asked}; "
            "a closed year is not asked again (set refetch_empty_years to ask)"
        )
        return FetchResult(empty_bars(), stats)
    where = f"Breeze answer for stock_code={mapping.isec_code} cached on {asked}"
    try:
        bars = candles_to_bars(candles, mapping.symbol, year, requested_range(year, year), where)
    except BarsValidationError as exc:
        return exc
    return FetchResult(bars, stats)


def _ask(
    connection: BreezeConnection,
    mapping: SymbolMapping,
    spans: list[list[int]],
    cache: AnswerCache,
) -> dict[int, FetchResult | Exception]:
    """One call per span; a span whose answer reached the cap is asked again year by year."""
    results: dict[int, FetchResult | Exception] = {}
    for span in spans:
        try:
            results |= _ask_span(connection, mapping, span, cache)
        except _AnswerAtCapError as exc:
            dg.get_dagster_logger().warning(f"{exc}; asking each year alone")
            results |= _ask(connection, mapping, [[year] for year in span], cache)
        except SourceAuthError:
            raise
        except Exception as exc:
            results |= dict.fromkeys(span, exc)
    return results


def _ask_span(
    connection: BreezeConnection, mapping: SymbolMapping, span: list[int], cache: AnswerCache
) -> dict[int, FetchResult | Exception]:
    """Consecutive years of one symbol in one call, split, validated and cached per year."""
    isec_code = str(mapping.isec_code)
    now = dt.datetime.now(dt.UTC)
    requested = requested_range(span[0], span[-1], now)
    from_date = f"{requested[0].isoformat()}T00:00:00.000Z"
    to_date = f"{requested[1].isoformat()}T23:59:59.000Z"
    where = (
        f"Breeze get_historical_data_v2(interval={INTERVAL}, stock_code={isec_code}, "
        f"exchange_code=NSE, product_type=cash, from_date={from_date}, to_date={to_date}) "
        f"at {connection.historical_url}"
    )
    label = f"{mapping.symbol}|{span[0]}" + (f"-{span[-1]}" if len(span) > 1 else "")
    stats = new_stats() | {"call_years": f"{span[0]}-{span[-1]}"}
    asked = f"{where} for {label}"
    candles = connection.historical(
        isec_code, INTERVAL, (from_date, to_date), asked, stats, "daily"
    )
    if len(candles) >= CANDLE_CAP and len(span) > 1:
        raise _AnswerAtCapError(
            f"{where} answered {len(candles)} candles for {label}, Breeze's "
            f"{CANDLE_CAP}-candle cap, so the answer may be truncated"
        )
    frame = answer_frame(candles, requested, f"{where} ({label})") if candles else None
    results: dict[int, FetchResult | Exception] = {}
    for year in span:
        rows = [] if frame is None else year_rows(frame, year)
        try:
            bars = empty_bars() if frame is None else year_bars(frame, mapping.symbol, year, where)
        except BarsValidationError as exc:
            results[year] = exc  # not cached: asked again next time
            continue
        answered = {"Success": [candles[i] for i in rows], "Status": 200, "Error": None}
        year_stats = dict(stats)
        if bars.empty:
            year_stats["note"] = f"{where} answered no candles for {mapping.symbol}|{year}; " + (
                "cached as empty: re-runs make no call (set refetch_empty_years to ask)"
                if year_is_final(year, now)
                else "the year is still open, so it is asked again on the next run"
            )
        keep = partial(cache.store, isec_code, year, INTERVAL, answered, now)
        results[year] = FetchResult(bars, year_stats, accept=keep)
    return results


def requested_range(
    first_year: int, last_year: int, now: dt.datetime | None = None
) -> tuple[dt.date, dt.date]:
    """The day span asked for these years: a day's margin each side, never past the last day
    whose 15:30 IST close has passed. Today's candle before the close is a session still
    trading (Breeze answers it, the stand-in too): stored, it would be a partial bar that
    coverage_check fails as after the last completed session, gating the symbol's teacher."""
    closed = last_closed_day(now)
    return dt.date(first_year - 1, 12, 31), min(dt.date(last_year + 1, 1, 1), closed)


def call_spans(years: Sequence[int], most: int = MAX_YEARS_PER_CALL) -> list[list[int]]:
    """Sorted years grouped into runs of consecutive years, at most `most` a run: one call each."""
    spans: list[list[int]] = []
    for year in sorted(set(years)):
        if spans and spans[-1][-1] == year - 1 and len(spans[-1]) < most:
            spans[-1].append(year)
        else:
            spans.append([year])
    return spans


class _AnswerAtCapError(Exception):
    """A several-year answer reached the candle cap: it may be cut short, so ask for less."""
