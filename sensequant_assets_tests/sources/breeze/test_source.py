"""BreezeSource against the stand-in server, through the real breeze_connect client."""

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from sensequant_assets.market.calendar import IST, last_closed_day, sessions_in_year
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.sources.bars import COLUMN_NAMES, BarsValidationError
from sensequant_assets.sources.base import FetchResult, SymbolMapping
from sensequant_assets.sources.breeze.cache import AnswerCache
from sensequant_assets.sources.breeze.errors import (
    BreezeAnswerError,
    BreezeAuthError,
    BreezeUnavailableError,
)
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets.universe.reference import load_aliases, nse_ticker_for
from sensequant_assets_tests.support.standin_breeze import (
    SPECIAL_SESSIONS,
    SourceFactory,
    StandinBreeze,
    standin_source,
)

PAST_YEAR = 2024


def _expected_sessions(year: int) -> int:
    return len(sessions_in_year(year)) + sum(d.year == year for d in SPECIAL_SESSIONS)


EXPECTED_2024 = _expected_sessions(2024)


def breeze_source_cache(source: BreezeSource) -> Path:
    assert source.cache_dir is not None
    return Path(source.cache_dir) / "answers"


def _oberoi(source: BreezeSource) -> SymbolMapping:
    """OBEROI is the universe name; the alias file gives the NSE ticker the lookup receives."""
    return source.lookup(
        "OBEROI", nse_ticker_for("OBEROI", load_aliases(REFERENCE_DIR / "aliases.csv"))
    )


def test_full_symbol_year_is_one_call_with_every_session(
    breeze_source: BreezeSource, breeze_server: StandinBreeze
) -> None:
    mapping = _oberoi(breeze_source)
    result = breeze_source.fetch_year(mapping, PAST_YEAR)

    bars = result.bars
    assert list(bars.columns) == list(COLUMN_NAMES)
    assert len(bars) == EXPECTED_2024
    assert (bars["date"].dt.year == PAST_YEAR).all()
    assert set(bars["symbol"]) == {"OBEROI"}
    assert set(bars["source"]) == {"breeze"}
    assert bars["date"].is_monotonic_increasing and bars["date"].is_unique
    calls = breeze_server.historical_calls()
    assert len(calls) == 1
    assert calls[0].query | {"from_date": "", "to_date": ""} == {
        "interval": "1day",
        "stock_code": "OBEREA",
        "exch_code": "NSE",
        "product_type": "cash",
        "from_date": "",
        "to_date": "",
    }
    assert result.stats["api_calls"] == 1
    assert result.stats["cache_hits"] == 0
    assert result.stats["retries"] == 0
    assert "limiter_wait_seconds" in result.stats


def test_alias_maps_universe_name_through_nse_ticker_to_isec_code(
    breeze_source: BreezeSource,
) -> None:
    mapping = _oberoi(breeze_source)

    assert (mapping.symbol, mapping.nse_ticker, mapping.isec_code) == (
        "OBEROI",
        "OBEROIRLTY",
        "OBEREA",
    )
    assert mapping.status == "success"
    assert mapping.isec_token == "20242"
    assert mapping.company_name == "OBEROI REALTY LTD"


def test_result_not_found_is_a_failed_mapping_never_a_guess(
    breeze_source: BreezeSource, breeze_server: StandinBreeze
) -> None:
    mapping = breeze_source.lookup("OBEROI", "OBEROI")

    assert mapping.status == "failed"
    assert mapping.isec_code is None and not mapping.resolved
    assert "Result Not Found" in (mapping.error or "")
    assert "aliases.csv" in (mapping.error or "")
    with pytest.raises(BreezeAnswerError, match=r"OBEROI\|2024: no ISEC stock code"):
        breeze_source.fetch_year(mapping, PAST_YEAR)
    assert breeze_server.historical_calls() == []


def test_ambiguous_security_master_match_is_a_failed_mapping(breeze_source: BreezeSource) -> None:
    mapping = breeze_source.lookup("DUPL", "DUPL")

    assert mapping.status == "failed"
    assert mapping.isec_code is None
    assert "ambiguous" in (mapping.error or "")


def test_three_closed_years_are_one_call_split_per_year(
    make_source: SourceFactory, breeze_server: StandinBreeze, tmp_path: Path
) -> None:
    source = make_source()
    mapping = _oberoi(source)
    results = source.fetch_years(mapping, [2022, 2023, 2024])

    [call] = breeze_server.historical_calls()
    assert (call.query["from_date"][:10], call.query["to_date"][:10]) == (
        "2021-12-31",
        "2025-01-01",
    )
    one_by_one = standin_source(breeze_server, tmp_path / "one-by-one")
    for year in (2022, 2023, 2024):
        result = results[year]
        assert isinstance(result, FetchResult)
        assert len(result.bars) == _expected_sessions(year)
        assert result.stats["api_calls"] == 1 and result.stats["call_years"] == "2022-2024"
        pd.testing.assert_frame_equal(result.bars, one_by_one.fetch_year(mapping, year).bars)
    assert len(list(breeze_source_cache(source).rglob("OBEREA_*.json"))) == 3

    again = source.fetch_years(mapping, [2022, 2023, 2024])
    assert len(breeze_server.historical_calls()) == 1 + 3  # the one-by-one source's three
    assert all(isinstance(r, FetchResult) and r.stats["cache_hits"] == 1 for r in again.values())


def test_only_the_years_not_cached_are_asked_and_the_open_year_always(
    breeze_source: BreezeSource, breeze_server: StandinBreeze
) -> None:
    mapping = _oberoi(breeze_source)
    this_year = dt.datetime.now(IST).year
    breeze_source.fetch_year(mapping, this_year - 3)

    breeze_source.fetch_years(mapping, range(this_year - 3, this_year + 1))
    breeze_source.fetch_years(mapping, range(this_year - 3, this_year + 1))

    asked = [
        (c.query["from_date"][:10], c.query["to_date"][:10])
        for c in breeze_server.historical_calls()
    ]
    closed = last_closed_day().isoformat()  # today once its session has closed, else yesterday
    assert asked == [
        (f"{this_year - 4}-12-31", f"{this_year - 2}-01-01"),  # the year asked alone first
        (f"{this_year - 3}-12-31", closed),  # then the three not cached, in one call
        (f"{this_year - 1}-12-31", closed),  # then only the open one
    ]


def test_a_bad_year_fails_alone_and_only_it_is_asked_again(
    breeze_source: BreezeSource, breeze_server: StandinBreeze
) -> None:
    mapping = _oberoi(breeze_source)
    breeze_server.script("OBEREA", "duplicate_dates")  # lands in the middle year of the answer

    results = breeze_source.fetch_years(mapping, [2022, 2023, 2024])

    assert isinstance(results[2023], BarsValidationError)
    assert "OBEROI|2023" in str(results[2023]) and "duplicate" in str(results[2023])
    assert len(results[2022].bars) == _expected_sessions(2022)  # type: ignore[union-attr]
    assert len(results[2024].bars) == _expected_sessions(2024)  # type: ignore[union-attr]
    again = breeze_source.fetch_years(mapping, [2022, 2023, 2024])
    assert all(isinstance(r, FetchResult) for r in again.values())
    [_, retry] = breeze_server.historical_calls()
    assert (retry.query["from_date"][:10], retry.query["to_date"][:10]) == (
        "2022-12-31",
        "2024-01-01",
    )


def test_an_answer_at_the_candle_cap_is_asked_again_year_by_year(
    breeze_source: BreezeSource, breeze_server: StandinBreeze
) -> None:
    mapping = _oberoi(breeze_source)
    breeze_server.script("OBEREA", "cap")

    results = breeze_source.fetch_years(mapping, [2022, 2023, 2024])

    assert [len(r.bars) for r in results.values()] == [  # type: ignore[union-attr]
        _expected_sessions(year) for year in (2022, 2023, 2024)
    ]
    assert len(breeze_server.historical_calls()) == 1 + 3


def test_a_single_year_answer_at_the_cap_is_refused_not_truncated(
    breeze_source: BreezeSource, breeze_server: StandinBreeze
) -> None:
    mapping = _oberoi(breeze_source)
    breeze_server.script("OBEREA", "cap")

    with pytest.raises(BarsValidationError, match=r"1000 candles reach Breeze's 1000-candle cap"):
        breeze_source.fetch_year(mapping, PAST_YEAR)
    assert not any(breeze_source_cache(breeze_source).rglob("*.json"))


def test_empty_answer_is_recorded_not_retried(
    make_source: SourceFactory, breeze_server: StandinBreeze
) -> None:
    """Empty closed years: one call, cached with when they were asked, not asked again unless
    refetch_empty_years says so."""
    source = make_source()
    mapping = source.lookup("ADANIGREEN", "ADANIGREEN")
    first = source.fetch_years(mapping, [2023, 2024])
    again = source.fetch_years(mapping, [2023, 2024])

    assert len(breeze_server.historical_calls()) == 1  # one call, not retried, not repeated
    for year in (2023, 2024):
        fetched, cached = first[year], again[year]
        assert isinstance(fetched, FetchResult) and isinstance(cached, FetchResult)
        assert fetched.bars.empty and list(fetched.bars.columns) == list(COLUMN_NAMES)
        assert "cached as empty" in str(fetched.stats["note"])
        assert fetched.stats["retries"] == 0
        assert cached.bars.empty and cached.stats["api_calls"] == 0
        assert re.search(r"when asked on \d{4}-\d\d-\d\d \d\d:\d\d IST", str(cached.stats["note"]))
        assert "refetch_empty_years" in str(cached.stats["note"])

    refetching = make_source(refetch_empty_years=True)
    refetching.fetch_years(mapping, [2023, 2024])
    assert len(breeze_server.historical_calls()) == 2


def test_an_empty_open_year_is_asked_again(
    breeze_source: BreezeSource, breeze_server: StandinBreeze
) -> None:
    mapping = breeze_source.lookup("ADANIGREEN", "ADANIGREEN")
    year = dt.datetime.now(IST).year
    first = breeze_source.fetch_year(mapping, year)
    breeze_source.fetch_year(mapping, year)

    assert "still open" in str(first.stats["note"])
    assert len(breeze_server.historical_calls()) == 2


@pytest.mark.parametrize(
    ("server_state", "expected"),
    [
        ({"session_token": "WRONG-TOKEN"}, "BREEZE_SESSION_TOKEN"),
        ({"api_key": "WRONG-KEY"}, "BREEZE_API_KEY"),
        ({"expired": True}, "BREEZE_SESSION_TOKEN"),
    ],
)
def test_login_refused_fails_at_once_saying_what_to_set(
    make_source: SourceFactory, breeze_server: StandinBreeze, server_state: dict, expected: str
) -> None:
    breeze_server.session_expired = server_state.pop("expired", False)
    source = make_source(**server_state)

    with pytest.raises(BreezeAuthError, match=expected):
        source.lookup("OBEROI", "OBEROIRLTY")
    assert [c.endpoint for c in breeze_server.calls] == ["customerdetails"]


def test_missing_credentials_fail_before_any_call(
    make_source: SourceFactory, breeze_server: StandinBreeze
) -> None:
    source = make_source(api_secret="", session_token=" ")

    with pytest.raises(BreezeAuthError, match="set BREEZE_API_SECRET, BREEZE_SESSION_TOKEN"):
        source.lookup("OBEROI", "OBEROIRLTY")
    assert breeze_server.calls == []


def test_auth_failure_on_history_is_not_retried(
    breeze_source: BreezeSource, breeze_server: StandinBreeze
) -> None:
    mapping = _oberoi(breeze_source)
    breeze_server.script("OBEREA", "bad_auth", "ok")

    with pytest.raises(BreezeAuthError, match="session token expires every day"):
        breeze_source.fetch_years(mapping, [2022, 2023, 2024])  # raised: the batch stops
    assert len(breeze_server.historical_calls()) == 1


@pytest.mark.parametrize("fault", ["429", "html500", "empty503", "truncated_json"])
def test_rate_limited_and_transient_answers_are_retried(
    breeze_source: BreezeSource, breeze_server: StandinBreeze, fault: str
) -> None:
    mapping = _oberoi(breeze_source)
    breeze_server.script("OBEREA", fault)

    result = breeze_source.fetch_year(mapping, PAST_YEAR)

    assert len(result.bars) == EXPECTED_2024
    assert result.stats["api_calls"] == 2
    assert result.stats["retries"] == 1
    assert len(breeze_server.historical_calls()) == 2


def test_retries_are_bounded(breeze_source: BreezeSource, breeze_server: StandinBreeze) -> None:
    """The same fault on every try: retries stop, and every year of the call fails with it."""
    mapping = _oberoi(breeze_source)
    breeze_server.script("OBEREA", "html500", "empty503", "429", "ok")

    results = breeze_source.fetch_years(mapping, [2023, 2024])

    for year in (2023, 2024):
        assert isinstance(results[year], BreezeUnavailableError)
        assert "OBEROI|2023-2024: still rate_limited after 2 retries" in str(results[year])
    assert len(breeze_server.historical_calls()) == 3
    assert not any(breeze_source_cache(breeze_source).rglob("*.json"))


@pytest.mark.timeout(30)
def test_server_that_never_answers_ends_within_its_timeout(
    make_source: SourceFactory, breeze_server: StandinBreeze
) -> None:
    source = make_source(request_timeout_seconds=1, max_retries=1)
    mapping = _oberoi(source)
    breeze_server.script("OBEREA", "hang", "hang")

    with pytest.raises(BreezeUnavailableError, match=r"no answer within 1 s"):
        source.fetch_year(mapping, PAST_YEAR)
    assert len(breeze_server.historical_calls()) == 2


def test_second_fetch_of_a_past_year_makes_no_call(
    breeze_source: BreezeSource, breeze_server: StandinBreeze
) -> None:
    mapping = _oberoi(breeze_source)
    first = breeze_source.fetch_year(mapping, PAST_YEAR)
    again = breeze_source.fetch_year(mapping, PAST_YEAR)

    assert again.stats["api_calls"] == 0 and again.stats["cache_hits"] == 1
    pd.testing.assert_frame_equal(first.bars, again.bars)
    assert len(breeze_server.historical_calls()) == 1


def test_current_year_is_fetched_again(
    breeze_source: BreezeSource, breeze_server: StandinBreeze
) -> None:
    mapping = _oberoi(breeze_source)
    year = dt.datetime.now(IST).year
    breeze_source.fetch_year(mapping, year)
    again = breeze_source.fetch_year(mapping, year)

    assert again.stats["api_calls"] == 1 and again.stats["cache_hits"] == 0
    assert len(breeze_server.historical_calls()) == 2


@pytest.mark.parametrize("damage", ["truncate", "edit_payload", "garbage"])
def test_corrupt_cache_entry_is_refetched_never_loaded(
    breeze_source: BreezeSource, breeze_server: StandinBreeze, damage: str
) -> None:
    mapping = _oberoi(breeze_source)
    first = breeze_source.fetch_year(mapping, PAST_YEAR)
    [entry] = breeze_source_cache(breeze_source).rglob("*.json")
    text = entry.read_text()
    if damage == "truncate":
        entry.write_text(text[: len(text) // 2])
    elif damage == "edit_payload":
        document = json.loads(text)
        document["payload"] = document["payload"].replace('"close": ', '"close": 1', 1)
        entry.write_text(json.dumps(document))
    else:
        entry.write_bytes(b"\x00\xff not json")

    again = breeze_source.fetch_year(mapping, PAST_YEAR)

    assert again.stats["cache_corrupt"] == 1 and again.stats["api_calls"] == 1
    pd.testing.assert_frame_equal(first.bars, again.bars)
    assert len(breeze_server.historical_calls()) == 2
    assert breeze_source.fetch_year(mapping, PAST_YEAR).stats["cache_hits"] == 1


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("nan_price", "close is missing"),
        ("negative_price", "low is not a positive price"),
        ("duplicate_dates", "duplicate symbol and date"),
        ("outside_range", "outside the requested range"),
    ],
)
def test_bad_candles_fail_naming_the_partition_and_are_not_cached(
    breeze_source: BreezeSource, breeze_server: StandinBreeze, fault: str, message: str
) -> None:
    mapping = _oberoi(breeze_source)
    breeze_server.script("OBEREA", fault)

    with pytest.raises(BarsValidationError, match=message) as failure:
        breeze_source.fetch_year(mapping, PAST_YEAR)
    assert "OBEROI|2024" in str(failure.value)
    assert "stock_code=OBEREA" in str(failure.value)
    assert not any(breeze_source_cache(breeze_source).rglob("*.json"))
    assert len(breeze_server.historical_calls()) == 1


def test_cache_never_mixes_servers(tmp_path: Path) -> None:
    live = AnswerCache.for_server(tmp_path, "https://breezeapi.icicidirect.com/api/v2/")
    replay = AnswerCache.for_server(tmp_path, "http://127.0.0.1:9/api/v2/")

    assert live.path("OBEREA", 2024, "1day") != replay.path("OBEREA", 2024, "1day")
