"""The call plan printed before an intraday backfill, on the real NSE calendar."""

import datetime as dt

import pytest

from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.sources.intraday_plan import calls_for_month, months_of, plan
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days

KNOWN = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
THREE_YEARS = months_of(dt.date(2022, 1, 1), dt.date(2024, 12, 31))


@pytest.mark.parametrize(("interval", "calls"), [("1minute", 7), ("5minute", 2), ("30minute", 1)])
def test_a_month_takes_ceil_candles_over_the_cap(interval: str, calls: int) -> None:
    # March 2024: 18 regular sessions (6750 minutes) and the DR Saturday (105) = 6855 candles.
    assert calls_for_month(2024, 3, interval, KNOWN) == calls


def test_nifty_100_for_three_years_at_one_minute() -> None:
    """The issue's figures: about 28 000 calls, under 5 hours at 100 a minute, six days at 5000."""
    result = plan(100, THREE_YEARS, "1minute", KNOWN, start=dt.date(2026, 12, 1))
    assert len(THREE_YEARS) == 36
    assert result.calls == 29_200
    assert round(result.minutes_at_rate / 60, 1) == 4.9
    assert (result.days_at_cap, result.finish_date) == (6, dt.date(2026, 12, 6))
    assert "29,200 Breeze calls" in str(result) and "6 day(s)" in str(result)


def test_the_reserve_lengthens_the_backfill() -> None:
    result = plan(100, THREE_YEARS, "1minute", KNOWN, reserve=1000, start=dt.date(2026, 12, 1))
    assert result.days_at_cap == 8  # 29 200 calls at 4000 a day
    assert "less 1,000 reserved" in str(result)
    with pytest.raises(ValueError, match="reserve"):
        plan(100, THREE_YEARS, "1minute", KNOWN, reserve=5000)


def test_coarser_intervals_cost_a_call_or_two_a_month() -> None:
    assert plan(100, THREE_YEARS, "5minute", KNOWN).calls == 7_200
    assert plan(["RELIANCE"], THREE_YEARS, "30minute", KNOWN).calls == 36
