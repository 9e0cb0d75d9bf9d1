"""The intraday checks as plain functions: each planted defect of the synthetic source fails
exactly its check, on exactly its day and minute, and nothing else fails."""

import datetime as dt

import pandas as pd
import pytest

from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.quality.intraday import (
    check_daily_consistency,
    check_hours,
    check_sessions,
    evaluate_symbol_month,
    month_shape,
)
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days
from sensequant_assets_tests.conftest import FIXED_NOW, synthetic_at_fixed_now

MARCH = dt.date(2024, 3, 1)
KNOWN = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
# The scenario's intraday defects (sources/synthetic_scenario.json), all in March 2024.
PLANTED = {
    "RELIANCE": ("sessions", "2024-03-12 lacks 30 of 375 candles, first missing 11:15"),
    "INFY": ("hours", "2024-03-14 15:45 (after the last candle 15:29)"),
    "TCS": ("consistency", "2024-03-20: volume 33,866,280 vs daily 27,093,014 (+25.0%)"),
}


def month_of(symbol: str, month: dt.date = MARCH, interval: str = "1minute"):
    source = synthetic_at_fixed_now()
    mapping = source.lookup(symbol, symbol)
    bars = source.fetch_intraday(mapping, month, interval)
    daily = source.fetch_year(mapping, month.year).bars
    daily = daily[daily["date"].dt.month == month.month]
    shape = month_shape(month, interval, KNOWN, None, FIXED_NOW)
    return bars, daily, shape


@pytest.mark.parametrize("symbol", [*PLANTED, "HDFCBANK"])
def test_each_planted_defect_fails_its_check_only_where_planted(symbol: str) -> None:
    bars, daily, shape = month_of(symbol)
    quality = evaluate_symbol_month(bars, daily, f"2024-03|{symbol}", "1minute", shape)
    results = {
        "sessions": quality.sessions,
        "hours": quality.hours,
        "integrity": quality.integrity,
        "consistency": quality.consistency,
    }
    failing = {name for name, result in results.items() if not result.passed}
    expected = {PLANTED[symbol][0]} if symbol in PLANTED else set()
    assert failing == expected, {name: results[name].describe() for name in failing}
    if symbol in PLANTED:
        name, evidence = PLANTED[symbol]
        assert evidence in results[name].describe()


def test_a_missing_session_names_its_first_minute_and_specials_are_never_due() -> None:
    bars, _, shape = month_of("HDFCBANK")
    assert dt.date(2024, 3, 2) in shape.optional  # the disaster-recovery Saturday
    assert len(shape.candles[dt.date(2024, 3, 2)]) == 105  # 09:15-10:00 and 11:30-12:30
    day = bars["ts"].dt.date
    lacking = bars[(day != dt.date(2024, 3, 5)) & (day != dt.date(2024, 3, 2))]
    result = check_sessions(lacking, "2024-03|HDFCBANK", "1minute", shape)
    assert not result.passed
    assert [str(gap) for gap in result.gaps] == ["2024-03-05 has no candles (from 09:15)"]
    assert result.metadata()["first_missing_minutes"] == ["2024-03-05 09:15"]
    assert result.sessions_due == 18  # 21 weekdays less 3 holidays; the absent Saturday not due


def test_a_candle_on_a_holiday_is_outside_market_hours() -> None:
    bars, _, shape = month_of("HDFCBANK")
    mahashivratri = pd.Timestamp("2024-03-08 10:00").tz_localize(bars["ts"].dt.tz)
    holiday = bars.iloc[[0]].assign(ts=mahashivratri)
    result = check_hours(pd.concat([bars, holiday]), "2024-03|HDFCBANK", shape)
    assert [(f"{ts:%Y-%m-%d %H:%M}", why) for ts, why in result.outside] == [
        ("2024-03-08 10:00", "Friday 2024-03-08 is not a session")
    ]


@pytest.mark.parametrize(("interval", "per_session"), [("5minute", 75), ("30minute", 13)])
def test_coarser_intervals_have_their_own_session_shape(interval: str, per_session: int) -> None:
    bars, daily, shape = month_of("HDFCBANK", interval=interval)
    assert len(shape.candles[dt.date(2024, 3, 5)]) == per_session
    quality = evaluate_symbol_month(bars, daily, "2024-03|HDFCBANK", interval, shape)
    assert quality.sessions.passed and quality.hours.passed and quality.consistency.passed


def test_consistency_tolerances_and_days_without_a_daily_bar() -> None:
    bars, daily, _ = month_of("HDFCBANK")
    day = dt.date(2024, 3, 5)
    shifted = daily.copy()
    row = shifted["date"].dt.date == day
    shifted.loc[row, "high"] += 0.05  # one tick: agrees
    assert check_daily_consistency(bars, shifted, "p").passed
    shifted.loc[row, "high"] *= 1.001  # 0.1 %: beyond the 0.01 % a coarse feed may round
    shifted.loc[row, "volume"] = (shifted.loc[row, "volume"] * 1.005).round().astype("int64")
    result = check_daily_consistency(bars, shifted, "p")
    [disagreement] = result.disagreements
    assert disagreement.day == day and len(disagreement.problems) == 1  # the high; volume within
    assert disagreement.problems[0].startswith("high ")
    lone = check_daily_consistency(bars, daily[daily["date"].dt.date != day], "p")
    assert not lone.passed and lone.without_daily == (day,)
    assert "materialize daily_bars" in lone.describe()


def test_a_daily_close_outside_the_closing_half_hour_disagrees() -> None:
    bars, daily, _ = month_of("HDFCBANK")
    day = dt.date(2024, 3, 6)
    candles = bars[bars["ts"].dt.date == day]
    closing = candles[candles["ts"] >= candles["ts"].max() - pd.Timedelta(minutes=30)]
    moved = daily.copy()
    moved.loc[moved["date"].dt.date == day, "close"] = float(closing["high"].max()) + 1.0
    [disagreement] = check_daily_consistency(bars, moved, "p").disagreements
    assert disagreement.day == day
    assert "outside the last 30 minutes' range" in disagreement.problems[0]
