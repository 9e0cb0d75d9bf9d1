"""Which days the warehouse's symbols have bars on: the raw material of calendar evidence.

Two small aggregates instead of every bar: how many symbols have a bar on each date, and each
symbol-year's first and last bar (a symbol "witnesses" only the days inside its own span, so a
listing mid-year or a source not yet updated for today is never read as a market holiday).
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from sensequant_assets.warehouse.storage import in_years


@dataclass(frozen=True)
class BarDays:
    symbols_on: dict[dt.date, int]
    """Date -> number of symbols with a bar on it."""
    spans: list[tuple[dt.date, dt.date]]
    """Each symbol-year's first and last bar date."""


def read_bar_days(conn: duckdb.DuckDBPyConnection, years: Sequence[int]) -> BarDays:
    """The aggregates over every stored symbol for `years`."""
    where, params = in_years(years)
    counts = conn.execute(
        f"SELECT date, count(DISTINCT symbol) FROM daily_bars WHERE {where} GROUP BY date", params
    ).fetchall()
    spans = conn.execute(
        f"SELECT min(date), max(date) FROM daily_bars WHERE {where} GROUP BY symbol, year(date)",
        params,
    ).fetchall()
    return BarDays(
        symbols_on={day: int(count) for day, count in counts},
        spans=[(first, last) for first, last in spans],
    )
