"""Breeze daily candles -> the project's bars frame.

Breeze stamps candles with an IST wall-clock `datetime` and no zone ("2024-01-02 00:00:00" or
"05:30:00" depending on how dates were asked), so the session date is the calendar date of that
wall-clock time; a zoned value is converted to IST first. The request spans a day either side of
the year (the API's reading of the request's zone is not documented), so the margin days are
dropped here; a candle outside the requested span, or an answer at the 1000-candle cap, means the
API answered another question and is refused.
"""

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd

from sensequant_assets.market.calendar import IST
from sensequant_assets.sources.bars import BarsValidationError, conform_bars

CANDLE_CAP = 1000


def ist_session_dates(values: pd.Series, context: str) -> pd.Series:
    """Session dates (midnight, no zone) of Breeze `datetime` values, zoned or IST wall-clock."""
    try:
        stamps = [pd.Timestamp(value) for value in values]
    except (ValueError, TypeError) as exc:
        raise BarsValidationError(f"{context}: unparseable candle datetime ({exc})") from None
    missing = sum(stamp is pd.NaT for stamp in stamps)
    if missing:
        raise BarsValidationError(f"{context}: {missing} candles have no datetime")
    wall_clock = [
        stamp.tz_convert(IST).tz_localize(None) if stamp.tzinfo else stamp for stamp in stamps
    ]
    return pd.Series(wall_clock, index=values.index, dtype="datetime64[ns]").dt.normalize()


def candles_to_bars(
    candles: Sequence[object],
    symbol: str,
    year: int,
    requested: tuple[dt.date, dt.date],
    where: str,
) -> pd.DataFrame:
    """Validate one symbol-year answer and return it as conformed bars for `year`."""
    context = f"{where} ({symbol}|{year})"
    if not all(isinstance(candle, Mapping) for candle in candles):
        raise BarsValidationError(f"{context}: the answer's Success holds non-object candles")
    if len(candles) >= CANDLE_CAP:
        raise BarsValidationError(
            f"{context}: {len(candles)} candles reach Breeze's {CANDLE_CAP}-candle cap, so the "
            "answer is truncated; request a shorter range."
        )
    frame = pd.DataFrame.from_records(list(candles))
    if "datetime" not in frame.columns:
        raise BarsValidationError(f"{context}: candles carry no 'datetime' field")
    frame["date"] = ist_session_dates(frame["datetime"], context)
    first, last = (pd.Timestamp(day) for day in requested)
    outside = (frame["date"] < first) | (frame["date"] > last)
    if outside.any():
        shown = sorted({ts.date().isoformat() for ts in frame.loc[outside, "date"]})
        raise BarsValidationError(
            f"{context}: Breeze answered {int(outside.sum())} candles outside the requested "
            f"range {requested[0]}..{requested[1]}: {', '.join(shown[:5])}"
        )
    frame["symbol"] = symbol
    frame["source"] = "breeze"
    in_year = frame.loc[frame["date"].dt.year == year]
    return conform_bars(in_year, symbol, year, where)
