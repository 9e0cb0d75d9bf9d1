"""One evaluation of a symbol-year, shared by the Dagster checks, the teacher gate and the report.

The three must never disagree about a partition, so they all read the warehouse the same way
(one query for every partition at hand, then grouped), take the calendar's corrections from the
same place (the reference file, then the evidence of every stored symbol of those years) and
judge it with the same functions.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from sensequant_assets.market.calendar import IST, KnownDays
from sensequant_assets.quality.coverage import CoverageResult, check_coverage
from sensequant_assets.quality.integrity import IntegrityResult, check_integrity
from sensequant_assets.quality.intraday import (
    SymbolMonthQuality,
    evaluate_symbol_month,
    month_shape,
)
from sensequant_assets.quality.mapping import mapping_problem
from sensequant_assets.quality.sessions import SessionEvidence, find_calendar_evidence
from sensequant_assets.universe.partitions import symbol_year_key
from sensequant_assets.universe.reference import Listings
from sensequant_assets.warehouse.bar_days import read_bar_days
from sensequant_assets.warehouse.storage import read_bars, read_intraday_partitions, read_mappings


@dataclass(frozen=True)
class PartitionBars:
    """Every bar of a set of symbol-years, read in one query."""

    bars: pd.DataFrame
    groups: Mapping[tuple[str, int], pd.DataFrame]

    def of(self, symbol: str, year: int) -> pd.DataFrame:
        return self.groups.get((symbol, year), self.bars.iloc[0:0])


def read_partition_bars(
    conn: duckdb.DuckDBPyConnection, partitions: Iterable[tuple[str, int]]
) -> PartitionBars:
    wanted = list(partitions)
    bars = read_bars(conn, sorted({s for s, _ in wanted}), sorted({y for _, y in wanted}))
    groups = {
        (str(symbol), int(year)): frame
        for (symbol, year), frame in bars.groupby(["symbol", bars["date"].dt.year], sort=False)
    }
    return PartitionBars(bars=bars, groups=groups)


def read_calendar_evidence(
    conn: duckdb.DuckDBPyConnection,
    years: Iterable[int],
    reference: KnownDays,
    now: dt.datetime | None = None,
) -> SessionEvidence:
    """The reference file's corrections plus what every stored symbol's bars of `years` show."""
    wanted = sorted(set(years))
    return find_calendar_evidence(read_bar_days(conn, wanted), wanted, reference, now)


def freshness_evidence(
    conn: duckdb.DuckDBPyConnection, reference: KnownDays, now: dt.datetime
) -> SessionEvidence:
    """The calendar freshness is judged on: the reference file and the bars of the current and
    previous (IST) years, as coverage judges them. Without the bars, a holiday past the exchange
    calendar's horizon that the reference file does not list yet (every January, until NSE's
    list is added) would be an overdue session."""
    year = now.astimezone(IST).year
    return read_calendar_evidence(conn, [year - 1, year], reference, now)


@dataclass(frozen=True)
class SymbolYearQuality:
    partition: str
    coverage: CoverageResult
    integrity: IntegrityResult


def evaluate_symbol_years(
    data: PartitionBars,
    partitions: Iterable[tuple[str, int]],
    listings: Mapping[str, dt.date],
    known: KnownDays,
    now: dt.datetime | None = None,
) -> list[SymbolYearQuality]:
    """Coverage and integrity (the ERROR checks) for each symbol-year, in the order given;
    `known` is the calendar's corrections (`read_calendar_evidence(...).known`)."""
    results = []
    for symbol, year in partitions:
        frame = data.of(symbol, year)
        partition = symbol_year_key(symbol, year)
        results.append(
            SymbolYearQuality(
                partition=partition,
                coverage=check_coverage(
                    frame, symbol, year, listings.get(symbol), now, known, _last(listings, symbol)
                ),
                integrity=check_integrity(frame, partition),
            )
        )
    return results


def _last(listings: Mapping[str, dt.date], symbol: str) -> dt.date | None:
    """The last session of the symbol's listing, where the listings loaded say one ended."""
    return listings.last_session(symbol) if isinstance(listings, Listings) else None


def mapping_problems(
    conn: duckdb.DuckDBPyConnection, symbols: Iterable[str]
) -> dict[str, str | None]:
    # The whole table: a shared ISEC code shows only across symbols.
    table = read_mappings(conn)
    return {symbol: mapping_problem(table, symbol) for symbol in symbols}


@dataclass(frozen=True)
class MonthEvidence:
    """What the intraday checks read for a run's symbol-months: their candles, the daily bars of
    the same months, and the calendar daily coverage judges on."""

    candles: dict[tuple[str, dt.date], pd.DataFrame]
    daily: pd.DataFrame
    known: KnownDays


def read_month_evidence(
    conn: duckdb.DuckDBPyConnection,
    wanted: list[tuple[str, dt.date]],
    interval: str,
    reference: KnownDays,
) -> MonthEvidence:
    """One read of the run's candles and of the daily bars of their years."""
    years = sorted({month.year for _, month in wanted})
    candles = read_intraday_partitions(conn, wanted, interval)
    daily = read_bars(conn, sorted({symbol for symbol, _ in wanted}), years)
    # The daily checks' calendar: a holiday missing from sessions.csv (every January until the
    # year's list is added) is no gap in the minutes either.
    known = read_calendar_evidence(conn, years, reference).known
    return MonthEvidence(candles=candles, daily=daily, known=known)


def evaluate_month_symbols(
    evidence: MonthEvidence,
    keys: list[str],
    wanted: list[tuple[str, dt.date]],
    interval: str,
    listings: Listings,
) -> list[SymbolMonthQuality]:
    """Each symbol-month judged on its session shapes (listing, end of listing, special
    sessions) and against the same month's daily bars, in the order of `keys`."""
    results = []
    daily = evidence.daily
    for key, (symbol, month) in zip(keys, wanted, strict=True):
        shape = month_shape(
            month,
            interval,
            evidence.known,
            listings.get(symbol),
            last_session=listings.last_session(symbol),
        )
        days = daily[
            (daily["symbol"] == symbol)
            & (daily["date"].dt.year == month.year)
            & (daily["date"].dt.month == month.month)
        ]
        results.append(
            evaluate_symbol_month(evidence.candles[symbol, month], days, key, interval, shape)
        )
    return results
