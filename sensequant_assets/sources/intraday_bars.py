"""The intraday-bars frame every source's `fetch_intraday` returns: one symbol-month of candles.

Candles are stamped with their start in IST (Breeze's `datetime` is IST wall-clock without a
zone: it is localized, never shifted). The frame is refused as a whole for what can never be
stored (a duplicate stamp, a candle outside the month, a null or non-positive price, a negative or
fractional volume), naming the symbol-month and the first offending stamps; whether every session
is complete and within market hours is the intraday checks' business, since real feeds do miss
and add candles and users should see it flagged.
"""

import datetime as dt

import numpy as np
import pandas as pd

from sensequant_assets.market.calendar import IST
from sensequant_assets.sources.bars import BarsValidationError
from sensequant_assets.warehouse.tables import INTRADAY_BARS

TS_DTYPE = f"datetime64[ns, {IST.key}]"
PRICE_COLUMNS = ("open", "high", "low", "close")
INTRADAY_COLUMNS = ("symbol", "ts", *PRICE_COLUMNS, "volume")


def empty_intraday() -> pd.DataFrame:
    """The table's columns a source answers, ts zoned IST as sources give it."""
    frame = INTRADAY_BARS.empty_frame(INTRADAY_COLUMNS)
    return frame.assign(ts=frame["ts"].dt.tz_localize(IST.key))


def ist_stamps(values: pd.Series, context: str) -> pd.Series:
    """Candle stamps in IST: zone-less values are IST wall-clock, zoned ones are converted."""
    try:
        stamps = [pd.Timestamp(value) for value in values]
    except (ValueError, TypeError) as exc:
        raise BarsValidationError(f"{context}: unparseable candle datetime ({exc})") from None
    if any(stamp is pd.NaT for stamp in stamps):
        raise BarsValidationError(f"{context}: a candle has no datetime")
    zoned = [stamp.tz_convert(IST) if stamp.tzinfo else stamp.tz_localize(IST) for stamp in stamps]
    return pd.Series(pd.DatetimeIndex(zoned, dtype=TS_DTYPE), index=values.index)


def conform_intraday(frame: pd.DataFrame, symbol: str, month: dt.date, where: str) -> pd.DataFrame:
    """Validate one symbol-month of candles and return it sorted, in the canonical dtypes."""
    context = f"{where} ({symbol}|{month:%Y-%m})"
    missing = [c for c in INTRADAY_COLUMNS if c != "symbol" and c not in frame.columns]
    if missing:
        raise BarsValidationError(f"{context}: missing columns {missing}")
    if frame.empty:
        return empty_intraday()
    bars = pd.DataFrame({"symbol": symbol, "ts": ist_stamps(frame["ts"], context)})
    for column in PRICE_COLUMNS:
        bars[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    volume = pd.to_numeric(frame["volume"], errors="coerce").astype("float64")
    problems = {
        "a price is missing, not finite or not positive": ~(
            np.isfinite(bars[list(PRICE_COLUMNS)]) & (bars[list(PRICE_COLUMNS)] > 0)
        ).all(axis=1),
        "volume is missing, negative or fractional": ~(
            np.isfinite(volume) & (volume >= 0) & (volume == volume.round())
        ),
        f"the candle is not in {month:%Y-%m}": (bars["ts"].dt.year != month.year)
        | (bars["ts"].dt.month != month.month),
        "the stamp occurs twice": bars["ts"].duplicated(keep=False),
    }
    for rule, mask in problems.items():
        if mask.any():
            shown = ", ".join(f"{ts:%Y-%m-%d %H:%M}" for ts in bars.loc[mask, "ts"].head(5))
            raise BarsValidationError(f"{context}: {rule} at {shown} ({int(mask.sum())} candles)")
    bars["volume"] = volume.astype("int64")
    return bars.sort_values("ts", ignore_index=True)
