"""Pure pieces of the Breeze source: answer classification, candle conversion, cache finality."""

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from sensequant_assets.market.calendar import IST
from sensequant_assets.secrets import scrub
from sensequant_assets.sources.bars import BarsValidationError
from sensequant_assets.sources.breeze.answer_kinds import (
    classify_exception,
    classify_historical,
    classify_names,
)
from sensequant_assets.sources.breeze.cache import AnswerCache, year_is_final
from sensequant_assets.sources.breeze.candles import (
    CANDLE_CAP,
    MAX_YEARS_PER_CALL,
    answer_frame,
    candles_to_bars,
    year_bars,
)
from sensequant_assets.sources.breeze.daily import call_spans, requested_range
from sensequant_assets.sources.breeze.source import (
    DEFAULT_API_URL,
    DEFAULT_HISTORICAL_URL,
    DEFAULT_SECURITY_MASTER_URL,
)

CANDLE = {"open": 10.0, "high": 11.0, "low": 9.5, "close": 10.5, "volume": 1000}


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ({"Success": [CANDLE], "Status": 200, "Error": None}, "success"),
        ({"Success": [], "Status": 200, "Error": None}, "no_data"),
        ({"Success": None, "Status": 200, "Error": None}, "no_data"),
        ({"Success": "", "Status": 500, "Error": "Result Not Found"}, "not_found"),
        ({"Success": None, "Status": 401, "Error": "Session key is expired."}, "auth_failure"),
        ({"Success": None, "Status": 403, "Error": "Forbidden"}, "auth_failure"),
        ({"Success": None, "Status": 429, "Error": "Too many requests"}, "rate_limited"),
        ({"Success": None, "Status": 503, "Error": "Service unavailable"}, "transient"),
        ({"Success": None, "Status": 500, "Error": "Internal error"}, "transient"),
        ({"Success": "", "Status": 500, "Error": "Stock-Code cannot be empty"}, "rejected"),
        ({"Success": {"x": 1}, "Status": 200, "Error": None}, "rejected"),
        (None, "transient"),
    ],
)
def test_every_historical_answer_gets_one_kind(raw: object, kind: str) -> None:
    assert classify_historical(raw).kind == kind


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        (
            "Unexpected error: Could not authenticate credentials. Please check session key.",
            "auth_failure",
        ),
        ("Unexpected error: Session key is expired.", "auth_failure"),
        (
            "Error in get_historical_data_v2(): Expecting value: line 1 column 1 (char 0)",
            "transient",
        ),
        (
            "Error in get_historical_data_v2(): HTTPConnectionPool(host='127.0.0.1', port=9): "
            "Max retries exceeded (Connection refused)",
            "transient",
        ),
    ],
)
def test_client_exceptions_are_classified_by_their_text(message: str, kind: str) -> None:
    assert classify_exception(Exception(message)).kind == kind


def test_names_hit_miss_and_garbled_match() -> None:
    hit = {"exchange_stock_code": "OBEROIRLTY", "isec_stock_code": "OBEREA", "isec_token": "20242"}
    garbled = {"exchange_stock_code": "A 6 B", "isec_stock_code": "A", "isec_token": "1 6 2"}
    miss = {"Success": "", "Status": 500, "Error": "Result Not Found"}

    assert classify_names(hit, "OBEROIRLTY").kind == "success"
    assert classify_names(miss, "NOPE").kind == "not_found"
    assert classify_names(garbled, "B").kind == "rejected"
    assert classify_names(hit, "OBEREA").kind == "rejected"  # matched by ICICI code, not NSE


def test_scrub_replaces_every_secret() -> None:
    assert scrub("key=abcd1234 tok=zzzz9999", ["abcd1234", "zzzz9999", "", None]) == (
        "key=*** tok=***"
    )


def _candle(stamp: str) -> dict[str, object]:
    return {**CANDLE, "datetime": stamp}


def test_candles_keep_only_the_year_in_ist() -> None:
    candles = [
        _candle("2023-12-29 00:00:00"),
        _candle("2024-01-01 05:30:00"),
        _candle("2024-01-01T18:45:00.000Z"),  # zoned: 2024-01-02 00:15 IST
        _candle("2024-12-31 00:00:00"),
        _candle("2025-01-01 00:00:00"),
    ]
    bars = candles_to_bars(candles, "X", 2024, (dt.date(2023, 12, 29), dt.date(2025, 1, 1)), "test")

    assert [d.date().isoformat() for d in bars["date"]] == [
        "2024-01-01",
        "2024-01-02",
        "2024-12-31",
    ]


def test_answer_at_the_candle_cap_is_refused() -> None:
    candles = [_candle("2024-01-02 00:00:00")] * CANDLE_CAP
    with pytest.raises(BarsValidationError, match=r"1000-candle cap.*\(X\|2024\)|X\|2024.*cap"):
        candles_to_bars(candles, "X", 2024, (dt.date(2024, 1, 1), dt.date(2024, 12, 31)), "t")


def test_a_bad_candle_fails_its_year_and_not_the_others() -> None:
    candles = [
        _candle("2022-06-01 00:00:00"),
        _candle("2023-06-01 00:00:00"),
        {**_candle("2023-06-02 00:00:00"), "low": -1.0},
        _candle("2024-06-03 00:00:00"),
    ]
    frame = answer_frame(candles, (dt.date(2021, 12, 31), dt.date(2025, 1, 1)), "t")

    assert len(year_bars(frame, "X", 2022, "t")) == 1
    assert len(year_bars(frame, "X", 2024, "t")) == 1
    with pytest.raises(BarsValidationError, match=r"X\|2023\): low is not a positive price"):
        year_bars(frame, "X", 2023, "t")


def test_unparseable_datetime_is_a_clear_error() -> None:
    with pytest.raises(BarsValidationError, match=r"X\|2024\): unparseable candle datetime"):
        candles_to_bars(
            [_candle("yesterday")], "X", 2024, (dt.date(2024, 1, 1), dt.date(2024, 12, 31)), "t"
        )


def test_a_year_is_final_only_once_it_has_ended_in_ist() -> None:
    assert not year_is_final(2024, dt.datetime(2024, 12, 31, 18, 0, tzinfo=dt.UTC))  # 23:30 IST
    assert year_is_final(2024, dt.datetime(2024, 12, 31, 18, 30, tzinfo=dt.UTC))  # 00:00 IST


def test_entry_fetched_during_its_year_is_stale(tmp_path: Path) -> None:
    cache = AnswerCache.for_server(tmp_path, "http://replay/")
    payload = {"Success": [_candle("2024-06-03 00:00:00")], "Status": 200, "Error": None}
    cache.store("ABC", 2024, "1day", payload, dt.datetime(2024, 6, 3, 12, tzinfo=IST))
    assert cache.load("ABC", 2024, "1day").state == "stale"
    cache.store("ABC", 2024, "1day", payload, dt.datetime(2025, 1, 2, tzinfo=IST))
    assert cache.load("ABC", 2024, "1day").payload == payload


def test_requested_range_has_a_day_of_margin_and_stops_at_the_last_close() -> None:
    now = dt.datetime(2025, 3, 10, 16, tzinfo=IST)  # after Monday's 15:30 close
    assert requested_range(2024, 2024, now) == (dt.date(2023, 12, 31), dt.date(2025, 1, 1))
    assert requested_range(2025, 2025, now) == (dt.date(2024, 12, 31), dt.date(2025, 3, 10))
    assert requested_range(2022, 2025, now) == (dt.date(2021, 12, 31), dt.date(2025, 3, 10))
    # Before the close (or the open) today's session is still trading: its candle is not asked.
    for hour in (8, 12):
        trading = dt.datetime(2025, 3, 10, hour, tzinfo=IST)
        assert requested_range(2025, 2025, trading) == (dt.date(2024, 12, 31), dt.date(2025, 3, 9))


@pytest.mark.parametrize(
    ("years", "spans"),
    [
        ([2022, 2023, 2024], [[2022, 2023, 2024]]),
        ([2024, 2022, 2023, 2023], [[2022, 2023, 2024]]),
        ([2022, 2024], [[2022], [2024]]),
        ([2019, 2020, 2021, 2022, 2023, 2025], [[2019, 2020, 2021], [2022, 2023], [2025]]),
        ([], []),
    ],
)
def test_consecutive_years_share_a_call_three_at_most(
    years: list[int], spans: list[list[int]]
) -> None:
    assert MAX_YEARS_PER_CALL == 3  # 3 x 270 candles and two margin days stay under the cap
    assert call_spans(years) == spans


def test_default_urls_are_breeze_connects_own() -> None:
    spec = importlib.util.find_spec("breeze_connect")
    assert spec is not None and spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "config.py"
    config_spec = importlib.util.spec_from_file_location("breeze_defaults", path)
    assert config_spec is not None and config_spec.loader is not None
    defaults = importlib.util.module_from_spec(config_spec)
    config_spec.loader.exec_module(defaults)

    assert defaults.API_URL == DEFAULT_API_URL
    assert defaults.BREEZE_NEW_URL == DEFAULT_HISTORICAL_URL
    assert defaults.SECURITY_MASTER_URL == DEFAULT_SECURITY_MASTER_URL
