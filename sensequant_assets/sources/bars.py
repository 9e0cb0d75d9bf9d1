"""The daily-bars frame: every source's answer is validated against the daily_bars table.

The table's one declaration (`warehouse.tables.DAILY_BARS`) says what a bar is; this module turns
a source's answer into that shape and refuses what can never be a bar (nulls, non-positive prices,
negative or fractional volume, duplicate or out-of-partition dates) with the partition and the
offending dates, so nothing half-valid reaches the warehouse. OHLC ordering is deliberately left
to the integrity asset check: real feeds do carry such bars, and users should see them flagged.
"""

import datetime as dt

import numpy as np
import pandas as pd

from sensequant_assets.warehouse.tables import DAILY_BARS

COLUMN_NAMES = DAILY_BARS.column_names


class BarsValidationError(ValueError):
    """A source answered with something that cannot be stored as daily bars."""


def empty_bars() -> pd.DataFrame:
    return DAILY_BARS.empty_frame()


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
    for rule, mask in DAILY_BARS.value_problems(bars).items():
        raise BarsValidationError(f"{context}: {rule} on {_dates(bars.loc[mask, 'date'])}")
    return bars.sort_values("date", ignore_index=True)


def _dates(dates: pd.Series, limit: int = 5) -> str:
    shown = [pd.Timestamp(d).date().isoformat() for d in dates.head(limit)]
    more = len(dates) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def session_dates(bars: pd.DataFrame) -> list[dt.date]:
    return [ts.date() for ts in pd.to_datetime(bars["date"])]
