"""Breeze daily candles -> the project's bars frame.

Breeze stamps candles with an IST wall-clock `datetime` and no zone ("2024-01-02 00:00:00" or
"05:30:00" depending on how dates were asked), so the session date is the calendar date of that
wall-clock time; a zoned value is converted to IST first. One call covers up to three consecutive
years (about 750 candles, under the 1000-candle cap) and spans a day either side of them (the API's
reading of the request's zone is not documented). An answer is refused as a whole only for what no
year could use (a candle outside the requested span, or an answer at the cap, means the API
answered another question); then each year is conformed on its own, so a bad candle fails its year
and not the others.
"""

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd

from sensequant_assets.market.calendar import IST
from sensequant_assets.sources.bars import BarsValidationError, conform_bars

CANDLE_CAP = 1000
CANDLES_PER_YEAR_BOUND = 270
"""More daily candles than one year can hold: every weekday of a leap year (262) plus weekend
special sessions (Budget days, Muhurat trading), with room to spare."""
MAX_YEARS_PER_CALL = (CANDLE_CAP - 1 - 2) // CANDLES_PER_YEAR_BOUND
"""Years one call can ask for and stay under the cap, with its two margin days: 3."""


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


def answer_frame(
    candles: Sequence[object], requested: tuple[dt.date, dt.date], context: str
) -> pd.DataFrame:
    """One answer's candles with their IST session `date`, row i being candle i.

    Refuses what no year of the answer could use: an answer at the candle cap (truncated), candles
    that are not objects or carry no datetime, and candles outside the requested span.
    """
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
    return frame


def year_rows(frame: pd.DataFrame, year: int) -> list[int]:
    """Positions of the candles of `year` in an answer frame (the margin days are dropped)."""
    return [int(i) for i in frame.index[frame["date"].dt.year == year]]


def year_bars(frame: pd.DataFrame, symbol: str, year: int, where: str) -> pd.DataFrame:
    """The conformed bars of `year` from an answer frame; a bad candle fails this year only."""
    in_year = frame.iloc[year_rows(frame, year)].assign(symbol=symbol, source="breeze")
    return conform_bars(in_year, symbol, year, where)


def candles_to_bars(
    candles: Sequence[object],
    symbol: str,
    year: int,
    requested: tuple[dt.date, dt.date],
    where: str,
) -> pd.DataFrame:
    """Validate one symbol-year answer and return it as conformed bars for `year`."""
    frame = answer_frame(candles, requested, f"{where} ({symbol}|{year})")
    return year_bars(frame, symbol, year, where)
