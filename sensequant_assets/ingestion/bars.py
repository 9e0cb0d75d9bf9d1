"""The daily-bars frame: one schema, used to validate every source's answer before it is written.

The schema is declared once with dagster-pandas columns; the same declaration yields the column
schema Dagit shows. Validation refuses what can never be a bar (nulls, non-positive prices,
negative or fractional volume, duplicate or out-of-partition dates) with the partition and the
offending dates, so nothing half-valid reaches the warehouse. OHLC ordering is deliberately left
to the integrity asset check: real feeds do carry such bars, and users should see them flagged.
"""

import datetime as dt
import warnings

import dagster as dg
import numpy as np
import pandas as pd
from dagster_pandas import PandasColumn
from dagster_pandas.constraints import ConstraintViolationException

# The smallest NSE tick; a price below it is not a price.
MIN_PRICE = 0.01

with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)  # PandasColumn is beta; the API is pinned
    BAR_COLUMNS: tuple[PandasColumn, ...] = (
        PandasColumn.string_column("symbol", non_nullable=True),
        PandasColumn.datetime_column("date", non_nullable=True, unique=True),
        PandasColumn.float_column("open", min_value=MIN_PRICE, non_nullable=True),
        PandasColumn.float_column("high", min_value=MIN_PRICE, non_nullable=True),
        PandasColumn.float_column("low", min_value=MIN_PRICE, non_nullable=True),
        PandasColumn.float_column("close", min_value=MIN_PRICE, non_nullable=True),
        PandasColumn.integer_column("volume", min_value=0, non_nullable=True),
        PandasColumn.string_column("source", non_nullable=True),
    )
COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in BAR_COLUMNS)

_SQL_TYPES = {
    "symbol": "VARCHAR",
    "date": "DATE",
    "open": "DOUBLE",
    "high": "DOUBLE",
    "low": "DOUBLE",
    "close": "DOUBLE",
    "volume": "BIGINT",
    "source": "VARCHAR",
}
_DESCRIPTIONS = {
    "symbol": "Universe symbol (the constituent-list key)",
    "date": "NSE session date (IST)",
    "volume": "Shares traded in the session",
    "source": "Data source that produced the bar: synthetic, csv or breeze",
}

BARS_TABLE_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn(name, _SQL_TYPES[name], description=_DESCRIPTIONS.get(name))
        for name in COLUMN_NAMES
    ]
)


class BarsValidationError(ValueError):
    """A source answered with something that cannot be stored as daily bars."""


def empty_bars() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": pd.Series(dtype="object"),
            "date": pd.Series(dtype="datetime64[ns]"),
            **{c: pd.Series(dtype="float64") for c in ("open", "high", "low", "close")},
            "volume": pd.Series(dtype="int64"),
            "source": pd.Series(dtype="object"),
        }
    )


def conform_bars(frame: pd.DataFrame, symbol: str, year: int, where: str) -> pd.DataFrame:
    """Validate a source's answer for one symbol-year and return it in canonical form.

    `where` names the origin (a file, an API call) so that the error tells the user what to fix.
    """
    context = f"{where} ({symbol}|{year})"
    missing = [name for name in COLUMN_NAMES if name not in frame.columns]
    if missing:
        raise BarsValidationError(f"{context}: missing columns {missing}")
    bars = frame.loc[:, list(COLUMN_NAMES)].copy()
    if bars.empty:
        return empty_bars()
    bars["date"] = pd.to_datetime(bars["date"]).dt.normalize()
    for name in ("open", "high", "low", "close"):
        bars[name] = pd.to_numeric(bars[name], errors="coerce").astype("float64")
    volume = pd.to_numeric(bars["volume"], errors="coerce")
    fractional = volume.notna() & (volume != volume.round())
    if fractional.any():
        raise BarsValidationError(
            f"{context}: volume must be a whole number of shares; "
            f"first offending dates {_dates(bars.loc[fractional, 'date'])}"
        )
    unusable = volume.isna() | ~np.isfinite(volume.astype("float64"))
    if unusable.any():
        raise BarsValidationError(
            f"{context}: volume is missing or not a finite number on "
            f"{_dates(bars.loc[unusable, 'date'])}"
        )
    prices = bars[["open", "high", "low", "close"]]
    infinite = ~np.isfinite(prices).all(axis=1) & prices.notna().all(axis=1)
    if infinite.any():
        raise BarsValidationError(
            f"{context}: infinite price on {_dates(bars.loc[infinite, 'date'])}"
        )
    bars["volume"] = volume.astype("int64")
    outside = bars["date"].dt.year != year
    if outside.any():
        raise BarsValidationError(
            f"{context}: bars dated outside {year}: {_dates(bars.loc[outside, 'date'])}"
        )
    for column in BAR_COLUMNS:
        try:
            column.validate(bars)
        except ConstraintViolationException as exc:
            raise BarsValidationError(f"{context}: {_explain(exc, bars, column.name)}") from exc
    return bars.sort_values("date", ignore_index=True)


def _explain(exc: Exception, bars: pd.DataFrame, column: str) -> str:
    values = bars[column]
    if values.isna().any():
        return f"{column} is missing (NaN) on {_dates(bars.loc[values.isna(), 'date'])}"
    if column == "date" and values.duplicated().any():
        return f"duplicate dates {_dates(values[values.duplicated()])}"
    if column in ("open", "high", "low", "close"):
        bad = values < MIN_PRICE
        if bad.any():
            return f"{column} is not a positive price on {_dates(bars.loc[bad, 'date'])}"
    if column == "volume":
        bad = values < 0
        if bad.any():
            return f"volume is negative on {_dates(bars.loc[bad, 'date'])}"
    return str(exc)


def _dates(dates: pd.Series, limit: int = 5) -> str:
    shown = [pd.Timestamp(d).date().isoformat() for d in dates.head(limit)]
    more = len(dates) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def session_dates(bars: pd.DataFrame) -> list[dt.date]:
    return [ts.date() for ts in pd.to_datetime(bars["date"])]
