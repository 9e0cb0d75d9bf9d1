"""Intraday pages through the real breeze_connect client against the stand-in server, which
enforces the 1000-candle cap and a per-day limit on a clock the test moves."""

import base64
import datetime as dt
import itertools
from pathlib import Path

import pandas as pd
import pytest
import requests

from sensequant_assets.market.calendar import IST
from sensequant_assets.market.intraday import month_candles
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.sources.bars import BarsValidationError
from sensequant_assets.sources.base import SymbolMapping
from sensequant_assets.sources.breeze.cache import AnswerCache
from sensequant_assets.sources.breeze.limiter import DailyBudgetExhaustedError
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets.sources.intraday_plan import calls_for_month
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days
from sensequant_assets_tests.support.standin_breeze import (
    API_KEY,
    SESSION_KEY,
    USER_ID,
    SourceFactory,
    StandinBreeze,
    standin_source,
)

KNOWN = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
MARCH = dt.date(2024, 3, 1)
START = dt.datetime(2025, 6, 30, 12, 0, tzinfo=dt.UTC).timestamp()


class Clock:
    """The simulated day, shared by the server's daily limit and the client's limiter."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def synthetic(mapping: SymbolMapping, interval: str) -> pd.DataFrame:
    """What the stand-in holds for the symbol: the synthetic source's candles."""
    return SyntheticSource().fetch_intraday(mapping, MARCH, interval)


@pytest.mark.parametrize("interval", ["1minute", "5minute", "30minute"])
def test_a_symbol_month_in_the_fewest_calls_joined_without_gap_or_duplicate(
    breeze_server: StandinBreeze, breeze_source: BreezeSource, interval: str
) -> None:
    mapping = breeze_source.lookup("BENCH001", "BENCH001")
    bars = breeze_source.fetch_intraday(mapping, MARCH, interval)

    pages = breeze_server.page_calls("BM001")
    assert sum(pages.values()) == calls_for_month(2024, 3, interval, KNOWN)
    assert len(pages) == {"1minute": 7, "5minute": 2, "30minute": 1}[interval]
    assert set(pages.values()) == {1}
    # Every expected candle once, the seams included, with the stand-in's exact values.
    expected = month_candles(2024, 3, interval, KNOWN)
    assert pd.DatetimeIndex(bars["ts"]).equals(expected)
    pd.testing.assert_frame_equal(bars, synthetic(mapping, interval))
    # IST kept exactly: Breeze's zone-less "2024-03-01 09:15:00" is 09:15 in Kolkata.
    assert bars["ts"].iloc[0] == pd.Timestamp("2024-03-01 09:15", tz=IST)
    assert bars.attrs["stats"]["api_calls"] == sum(pages.values())

    again = breeze_source.fetch_intraday(mapping, MARCH, interval)
    pd.testing.assert_frame_equal(again, bars)
    assert sum(breeze_server.page_calls("BM001").values()) == sum(pages.values())
    assert again.attrs["stats"]["cache_hits"] == len(pages)


def test_pages_meet_at_the_minute(
    breeze_server: StandinBreeze, breeze_source: BreezeSource
) -> None:
    breeze_source.fetch_intraday(breeze_source.lookup("BENCH002", "BENCH002"), MARCH, "1minute")
    spans = sorted(breeze_server.page_calls("BM002"))
    assert spans[0][0] == "2024-03-01T09:15:00.000Z"
    for (_, to_date), (from_date, _) in itertools.pairwise(spans):
        # One page ends a second before the next begins, inside a session.
        end = dt.datetime.fromisoformat(to_date[:19])
        assert dt.datetime.fromisoformat(from_date[:19]) - end == dt.timedelta(seconds=1)
    assert spans[0][1] == "2024-03-05T11:39:59.000Z"  # 1000 minutes: 2 2/3 sessions


def test_the_daily_cap_pauses_the_backfill_and_the_next_day_resumes_it(
    breeze_server: StandinBreeze, tmp_path: Path
) -> None:
    clock = Clock()
    breeze_server.limit_daily(5000, clock)
    source = standin_source(breeze_server, tmp_path, calls_per_day=5).use_clock(clock)
    mapping = source.lookup("BENCH003", "BENCH003")  # a call: the login

    with pytest.raises(DailyBudgetExhaustedError) as paused:
        source.fetch_intraday(mapping, MARCH, "1minute")
    assert sum(breeze_server.page_calls("BM003").values()) == 4
    resume_at = paused.value.resume_at
    assert resume_at.tzinfo is not None and str(resume_at.tzinfo) == "Asia/Kolkata"
    assert resume_at - dt.datetime.fromtimestamp(START, IST) >= dt.timedelta(hours=24)
    state = source.budget_state()
    assert (state.used, state.left_for_intraday, state.resume_at) == (5, 0, resume_at)

    clock.now = resume_at.timestamp() + 1  # the next (simulated) day, in a restarted process
    resumed = standin_source(breeze_server, tmp_path, calls_per_day=5).use_clock(clock)
    bars = resumed.fetch_intraday(mapping, MARCH, "1minute")

    pages = breeze_server.page_calls("BM003")
    assert len(pages) == 7 and set(pages.values()) == {1}  # no page fetched twice
    assert bars.attrs["stats"]["cache_hits"] == 4
    pd.testing.assert_frame_equal(bars, synthetic(mapping, "1minute"))
    assert breeze_server.daily_limited_calls() == []  # the client never went over


def test_the_reserve_is_left_for_the_daily_refresh(
    breeze_server: StandinBreeze, tmp_path: Path
) -> None:
    clock = Clock()
    source = standin_source(breeze_server, tmp_path, calls_per_day=4, daily_reserve=2)
    source.use_clock(clock)
    mapping = source.lookup("BENCH004", "BENCH004")
    with pytest.raises(DailyBudgetExhaustedError, match="less the 2 reserved"):
        source.fetch_intraday(mapping, MARCH, "5minute")  # the login and page 1 of 2: 4 - 2
    assert breeze_server.page_calls("BM004").total() == 1

    refreshed = source.fetch_year(mapping, 2024)  # the daily refresh uses the reserve
    assert len(refreshed.bars) > 200
    assert source.budget_state().used == 3


def test_an_answer_cut_at_the_cap_fails_naming_page_and_first_missing_minute(
    breeze_server: StandinBreeze, breeze_source: BreezeSource
) -> None:
    """INFY's synthetic 2024-03-14 holds a candle at 15:45: page 4 then has 1001 candles to give,
    the server cuts it to 1000, and the last expected minute is the one missing."""
    mapping = breeze_source.lookup("INFY", "INFY")
    with pytest.raises(BarsValidationError) as refused:
        breeze_source.fetch_intraday(mapping, MARCH, "1minute")
    message = str(refused.value)
    assert "INFY|2024-03 at 1minute" in message and "page 4/7" in message
    assert "cut short; first missing minute 2024-03-18 11:39" in message
    assert sum(breeze_server.page_calls("INFTEC").values()) == 4  # it stopped there


def test_a_gap_inside_a_page_is_data_but_a_gap_at_a_seam_fails(
    breeze_server: StandinBreeze, make_source: SourceFactory
) -> None:
    source = make_source()
    reliance = source.lookup("RELIANCE", "RELIANCE")
    bars = source.fetch_intraday(reliance, MARCH, "1minute")  # 11:15-11:44 of 03-12 missing
    missing = month_candles(2024, 3, "1minute", KNOWN).difference(pd.DatetimeIndex(bars["ts"]))
    assert len(missing) == 30 and missing[0] == pd.Timestamp("2024-03-12 11:15", tz=IST)

    breeze_server.script("BM005", "drop_last")
    mapping = source.lookup("BENCH005", "BENCH005")
    with pytest.raises(
        BarsValidationError, match=r"seam gap between page 1/7 .* and page 2/7"
    ) as gap:
        source.fetch_intraday(mapping, MARCH, "1minute")
    assert "first missing minute 2024-03-05 11:39" in str(gap.value)


def test_a_server_reading_times_as_utc_is_refused_before_anything_is_stored(
    breeze_server: StandinBreeze, breeze_source: BreezeSource
) -> None:
    breeze_server.script("BM006", "utc")
    mapping = breeze_source.lookup("BENCH006", "BENCH006")
    with pytest.raises(
        BarsValidationError, match="230 candles outside the page's span, first 2024-03-05 11:40"
    ):
        breeze_source.fetch_intraday(mapping, MARCH, "1minute")
    bars = breeze_source.fetch_intraday(mapping, MARCH, "1minute")  # page 1 was not cached
    assert sum(breeze_server.page_calls("BM006").values()) == 8 and len(bars) == 6855


def _ask(server: StandinBreeze, first: str, last: str) -> dict[str, object]:
    token = base64.b64encode(f"{USER_ID}:{SESSION_KEY}".encode()).decode()
    query = {
        "interval": "1minute",
        "from_date": first,
        "to_date": last,
        "stock_code": "BM007",
        "exch_code": "NSE",
        "product_type": "cash",
    }
    headers = {"X-SessionToken": token, "apikey": API_KEY}
    answer = requests.get(f"{server.historical_url}historicalcharts", params=query, headers=headers)
    return answer.json()


def test_the_stand_in_truncates_at_the_cap_and_limits_each_day(
    breeze_server: StandinBreeze,
) -> None:
    clock = Clock()
    breeze_server.limit_daily(2, clock)
    week = _ask(breeze_server, "2024-03-01T09:15:00.000Z", "2024-03-07T15:29:59.000Z")
    candles = week["Success"]
    assert len(candles) == 1000  # 5 sessions hold 1875; the first 1000 come back, silently
    assert (candles[0]["datetime"], candles[-1]["datetime"]) == (
        "2024-03-01 09:15:00",
        "2024-03-05 11:39:00",
    )
    _ask(breeze_server, "2024-03-01T09:15:00.000Z", "2024-03-01T09:15:59.000Z")
    refused = _ask(breeze_server, "2024-03-01T09:15:00.000Z", "2024-03-01T09:15:59.000Z")
    assert refused["Status"] == 429 and "Daily limit" in str(refused["Error"])
    clock.now += 24 * 3600
    assert (
        len(_ask(breeze_server, "2024-03-01T09:15:00.000Z", "2024-03-01T09:15:59.000Z")["Success"])
        == 1
    )


def test_a_page_of_a_session_not_yet_closed_is_asked_again(tmp_path: Path) -> None:
    cache = AnswerCache.for_server(tmp_path, "http://stand-in/")
    first = pd.Timestamp("2025-06-30 09:15", tz=IST)
    last = pd.Timestamp("2025-06-30 11:39", tz=IST)
    end = last + pd.Timedelta(minutes=1)
    for fetched, state in (("2025-06-30 12:00", "stale"), ("2025-06-30 15:31", "hit")):
        at = pd.Timestamp(fetched, tz=IST).to_pydatetime()
        cache.store_page("BM001", "1minute", first, last, {"Success": []}, at)
        assert cache.load_page("BM001", "1minute", first, last, end).state == state
