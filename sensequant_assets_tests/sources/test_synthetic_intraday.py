"""Synthetic intraday candles: the daily bars' own days in candles, each planted defect alone."""

import datetime as dt

import pandas as pd
import pytest

from sensequant_assets.market.intraday import month_candles
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.sources.legacy_csv import LegacyCsvSource
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days
from sensequant_assets_tests.conftest import synthetic_at_fixed_now

KNOWN = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
MARCH_2024 = dt.date(2024, 3, 1)
DAY_COLUMNS = ("open", "high", "low", "close", "volume")


def intraday(source: SyntheticSource, symbol: str, interval: str) -> pd.DataFrame:
    return source.fetch_intraday(source.lookup(symbol, symbol), MARCH_2024, interval)


def per_day(candles: pd.DataFrame) -> pd.DataFrame:
    """Each day's open, high, low, close and volume as the candles add up to."""
    days = candles["ts"].dt.tz_localize(None).dt.normalize().rename("date")
    return candles.groupby(days).agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
    )


def daily(source: SyntheticSource, symbol: str) -> pd.DataFrame:
    bars = source.fetch_year(source.lookup(symbol, symbol), 2024).bars
    return bars[bars["date"].dt.month == 3].set_index("date")[list(DAY_COLUMNS)]


@pytest.mark.parametrize("interval", ["1minute", "5minute", "30minute"])
def test_a_clean_month_is_complete_and_adds_up_to_its_daily_bars(
    synthetic_source: SyntheticSource, interval: str
) -> None:
    candles = intraday(synthetic_source, "HDFCBANK", interval)
    assert list(candles.columns) == ["symbol", "ts", "open", "high", "low", "close", "volume"]
    assert str(candles["ts"].dtype) == "datetime64[ns, Asia/Kolkata]"
    assert candles["volume"].dtype == "int64" and candles["ts"].is_unique
    assert candles["ts"].is_monotonic_increasing
    pd.testing.assert_index_equal(
        pd.DatetimeIndex(candles["ts"]), month_candles(2024, 3, interval, KNOWN), check_names=False
    )
    pd.testing.assert_frame_equal(per_day(candles), daily(synthetic_source, "HDFCBANK"))
    assert (candles["low"] <= candles[["open", "close"]].min(axis=1)).all()
    assert (candles["high"] >= candles[["open", "close"]].max(axis=1)).all()


def test_coarser_intervals_are_the_minutes_aggregated(synthetic_source: SyntheticSource) -> None:
    minutes = intraday(synthetic_source, "M&M", "1minute")
    thirty = intraday(synthetic_source, "M&M", "30minute")
    day = minutes["ts"].dt.date == dt.date(2024, 3, 2)  # the DR Saturday's two halves
    first_half = minutes[day & (minutes["ts"].dt.hour < 11)]
    assert thirty.loc[thirty["ts"].dt.date == dt.date(2024, 3, 2), "volume"].sum() == (
        minutes.loc[day, "volume"].sum()
    )
    assert (
        first_half["high"].max()
        == thirty.loc[thirty["ts"].dt.date == dt.date(2024, 3, 2)].head(2)["high"].max()
    )


def test_deterministic_across_instances(synthetic_source: SyntheticSource) -> None:
    pd.testing.assert_frame_equal(
        intraday(synthetic_source, "INFY", "5minute"),
        intraday(synthetic_at_fixed_now(), "INFY", "5minute"),
    )


def test_each_planted_defect_breaks_one_thing(synthetic_source: SyntheticSource) -> None:
    expected = month_candles(2024, 3, "1minute", KNOWN)
    # RELIANCE 2024-03-12: 11:15-11:44 missing, yet the day still adds up to its daily bar.
    reliance = intraday(synthetic_source, "RELIANCE", "1minute")
    missing = expected.difference(pd.DatetimeIndex(reliance["ts"]))
    assert (len(missing), f"{missing[0]:%Y-%m-%d %H:%M}") == (30, "2024-03-12 11:15")
    pd.testing.assert_frame_equal(per_day(reliance), daily(synthetic_source, "RELIANCE"))
    # INFY 2024-03-14: one candle at 15:45, after the close; the day still adds up.
    infy = intraday(synthetic_source, "INFY", "1minute")
    extra = pd.DatetimeIndex(infy["ts"]).difference(expected)
    assert [f"{ts:%Y-%m-%d %H:%M}" for ts in extra] == ["2024-03-14 15:45"]
    pd.testing.assert_frame_equal(per_day(infy), daily(synthetic_source, "INFY"))
    # TCS 2024-03-20: complete, prices agree, volume 25 % over the daily bar's.
    tcs = intraday(synthetic_source, "TCS", "30minute")
    assert pd.DatetimeIndex(tcs["ts"]).equals(month_candles(2024, 3, "30minute", KNOWN))
    summed, bars = per_day(tcs), daily(synthetic_source, "TCS")
    off = summed.index[summed["volume"] != bars["volume"]]
    assert list(off) == [pd.Timestamp("2024-03-20")]
    assert summed.loc[off[0], "volume"] / bars.loc[off[0], "volume"] == pytest.approx(1.25, 1e-6)
    pd.testing.assert_frame_equal(summed.drop(columns="volume"), bars.drop(columns="volume"))


def test_no_daily_bars_no_candles(synthetic_source: SyntheticSource) -> None:
    assert intraday(synthetic_source, "ADANIGREEN", "1minute").empty


def test_the_legacy_cache_says_it_has_no_intraday_bars() -> None:
    source = LegacyCsvSource(root_dir="/nonexistent")
    mapping = source.lookup("RELIANCE", "RELIANCE")
    with pytest.raises(NotImplementedError, match=r"daily bars only.*SENSEQUANT_SOURCE=breeze"):
        source.fetch_intraday(mapping, MARCH_2024, "1minute")
