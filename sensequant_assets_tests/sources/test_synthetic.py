import datetime as dt

import pandas as pd
import pytest

from sensequant_assets.market.calendar import SPECIAL_SESSIONS, sessions_in_year
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets_tests.conftest import FIXED_NOW, synthetic_at_fixed_now


def bars(source: SyntheticSource, symbol: str, year: int) -> pd.DataFrame:
    return source.fetch_year(source.lookup(symbol, symbol), year).bars


def test_deterministic_across_instances(synthetic_source: SyntheticSource) -> None:
    other = synthetic_at_fixed_now()
    pd.testing.assert_frame_equal(bars(synthetic_source, "INFY", 2023), bars(other, "INFY", 2023))


def test_continuous_across_years(synthetic_source: SyntheticSource) -> None:
    """2023 alone equals 2023 inside a 2022-2024 sweep, and prices join across the year end."""
    alone = bars(synthetic_at_fixed_now(), "TCS", 2023)
    sweep = {year: bars(synthetic_source, "TCS", year) for year in (2022, 2023, 2024)}
    pd.testing.assert_frame_equal(alone, sweep[2023])
    jump = sweep[2023]["open"].iloc[0] / sweep[2022]["close"].iloc[-1] - 1
    assert abs(jump) < 0.1


def test_bars_only_on_sessions_and_special_sessions(synthetic_source: SyntheticSource) -> None:
    frame = bars(synthetic_source, "RELIANCE", 2024)
    days = set(frame["date"].dt.date)
    regular = set(sessions_in_year(2024))
    assert regular <= days
    assert days - regular == {d for d in SPECIAL_SESSIONS if d.year == 2024}


def test_ohlc_invariants_and_plausible_moves(synthetic_source: SyntheticSource) -> None:
    frame = pd.concat(bars(synthetic_source, s, 2023) for s in ("INFY", "HDFCBANK", "M&M"))
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame["low"] > 0).all() and (frame["volume"] > 0).all()
    moves = frame.groupby("symbol")["close"].pct_change().abs().dropna()
    assert moves.max() < 0.15


def test_current_year_stops_at_last_completed_session(synthetic_source: SyntheticSource) -> None:
    frame = bars(synthetic_source, "INFY", FIXED_NOW.year)
    assert frame["date"].max().date() <= FIXED_NOW.date()
    assert frame["date"].max().date() >= FIXED_NOW.date() - dt.timedelta(days=4)


def test_scenario_situations(synthetic_source: SyntheticSource) -> None:
    lici = bars(synthetic_source, "LICI", 2022)
    assert lici["date"].min().date() == dt.date(2022, 5, 17)
    assert bars(synthetic_source, "ADANIGREEN", 2023).empty
    assert not synthetic_source.lookup("OBEROI", "OBEROI").resolved
    assert synthetic_source.lookup("OBEROI", "OBEROIRLTY").isec_code == "OBEREA"
    tata = set(bars(synthetic_source, "TATASTEEL", 2023)["date"].dt.date)
    assert dt.date(2023, 3, 15) not in tata and dt.date(2023, 3, 14) in tata
    idea = bars(synthetic_source, "IDEA", 2024).set_index("date")
    assert idea.loc["2024-02-13", "high"] < idea.loc["2024-02-13", "close"]


@pytest.mark.parametrize("year", [2022, 2023, 2024])
def test_full_three_years_hold_743_bars_with_special_sessions(
    synthetic_source: SyntheticSource, year: int
) -> None:
    frame = bars(synthetic_source, "OBEROI", year)
    specials = sum(d.year == year for d in SPECIAL_SESSIONS)
    assert len(frame) == len(sessions_in_year(year)) + specials
