"""BreezeSource against the stand-in server, through the real breeze_connect client."""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from sensequant_assets.market.calendar import IST, sessions_in_year
from sensequant_assets.paths import DATA_DIR
from sensequant_assets.sources.bars import COLUMN_NAMES, BarsValidationError
from sensequant_assets.sources.base import SymbolMapping
from sensequant_assets.sources.breeze.answers import (
    BreezeAnswerError,
    BreezeAuthError,
    BreezeUnavailableError,
)
from sensequant_assets.sources.breeze.cache import AnswerCache
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets.universe.reference import load_aliases, nse_ticker_for

from .conftest import SourceFactory
from .standin_server import SPECIAL_SESSIONS, StandinBreeze

PAST_YEAR = 2024
EXPECTED_2024 = len(sessions_in_year(2024)) + sum(d.year == 2024 for d in SPECIAL_SESSIONS)


def breeze_source_cache(source: BreezeSource) -> Path:
    assert source.cache_dir is not None
    return Path(source.cache_dir) / "answers"


def _oberoi(source: BreezeSource) -> SymbolMapping:
    """OBEROI is the universe name; the alias file gives the NSE ticker the lookup receives."""
    return source.lookup(
        "OBEROI", nse_ticker_for("OBEROI", load_aliases(DATA_DIR / "reference" / "aliases.csv"))
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


def test_empty_answer_is_recorded_not_retried(
    breeze_source: BreezeSource, breeze_server: StandinBreeze
) -> None:
    mapping = breeze_source.lookup("ADANIGREEN", "ADANIGREEN")
    result = breeze_source.fetch_year(mapping, PAST_YEAR)

    assert result.bars.empty
    assert list(result.bars.columns) == list(COLUMN_NAMES)
    assert "returned no rows" in str(result.stats["note"])
    assert result.stats["api_calls"] == 1 and result.stats["retries"] == 0
    assert len(breeze_server.historical_calls()) == 1


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
        breeze_source.fetch_year(mapping, PAST_YEAR)
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
    mapping = _oberoi(breeze_source)
    breeze_server.script("OBEREA", "html500", "empty503", "429", "ok")

    with pytest.raises(BreezeUnavailableError, match=r"still rate_limited after 2 retries"):
        breeze_source.fetch_year(mapping, PAST_YEAR)
    assert len(breeze_server.historical_calls()) == 3
    assert not any(breeze_source_cache(breeze_source).rglob("*.json"))


@pytest.mark.timeout(30)
def test_server_that_never_answers_ends_within_its_timeout(
    make_source: SourceFactory, breeze_server: StandinBreeze
) -> None:
    source = make_source(request_timeout_seconds=0.5, max_retries=1)
    mapping = _oberoi(source)
    breeze_server.script("OBEREA", "hang", "hang")

    with pytest.raises(BreezeUnavailableError, match=r"no answer within 0.5 s"):
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
