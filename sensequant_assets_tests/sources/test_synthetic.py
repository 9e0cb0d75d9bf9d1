import datetime as dt

import pandas as pd
import pytest

from sensequant_assets.market.calendar import sessions_in_year
from sensequant_assets.market.corporate_actions import adjusted_bars
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.quality.coverage import check_coverage
from sensequant_assets.quality.plausibility import check_plausibility
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.universe.reference import (
    CORPORATE_ACTIONS_FILE,
    SESSIONS_FILE,
    load_corporate_actions,
    load_known_days,
)
from sensequant_assets_tests.conftest import FIXED_NOW, synthetic_at_fixed_now

SPECIAL_SESSIONS = load_known_days(REFERENCE_DIR / SESSIONS_FILE).sessions


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


def test_corporate_actions_show_as_traded_and_the_reference_explains_them(
    synthetic_source: SyntheticSource,
) -> None:
    """The planted split (a real one, with its reference row) next to the unexplained jump."""
    actions = load_corporate_actions(REFERENCE_DIR / CORPORATE_ACTIONS_FILE)
    tata = bars(synthetic_source, "TATASTEEL", 2022).set_index("date")
    assert tata.loc["2022-07-28", "close"] / tata.loc["2022-07-27", "close"] < 0.15
    explained = check_plausibility(tata.reset_index(), "TATASTEEL|2022", actions=actions)
    assert explained.passed
    assert explained.explained_moves["2022-07-28"].endswith("explained by split 10:1 on 2022-07-28")
    adjusted = adjusted_bars(tata.reset_index(), actions)["close"]
    assert adjusted.pct_change().abs().max() < 0.15  # the walk again, in today's shares
    yes = check_plausibility(bars(synthetic_source, "YESBANK", 2023), "YESBANK|2023", None, actions)
    assert not yes.passed and list(yes.close_moves) == ["2023-07-19"]
    assert "2023-07-19 +56%: it would take price factor 0.6415" in yes.describe()


def test_a_year_past_the_calendar_horizon_is_served_on_weekdays() -> None:
    source = SyntheticSource(as_of="2027-03-01T12:00:00+00:00")
    frame = bars(source, "INFY", 2027)
    weekdays = pd.bdate_range("2027-01-01", "2027-03-01")
    assert list(frame["date"].dt.date) == [day.date() for day in weekdays]


def test_years_before_2022_walk_back_and_join_the_walk_that_was(
    synthetic_source: SyntheticSource,
) -> None:
    """A deeper history (SENSEQUANT_FIRST_YEAR=2016) adds 2016-2021 without changing a bar of
    2022 on, each year is the same however it is asked, and every year is complete."""
    known = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
    year_2022 = bars(synthetic_source, "TCS", 2022)
    early = {year: bars(synthetic_source, "TCS", year) for year in range(2016, 2022)}
    pd.testing.assert_frame_equal(bars(synthetic_at_fixed_now(), "TCS", 2022), year_2022)
    pd.testing.assert_frame_equal(bars(synthetic_at_fixed_now(), "TCS", 2019), early[2019])
    for year, frame in early.items():
        result = check_coverage(frame, "TCS", year, now=FIXED_NOW, known=known)
        assert result.verdict == "complete", result.describe()
    joined = pd.concat([*early.values(), year_2022])
    assert joined["close"].pct_change().abs().max() < 0.15
    assert early[2016]["date"].iloc[0].date() == dt.date(2016, 1, 1)
