"""A trading day's shape in candles, and the session hours the reference file gives it."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from sensequant_assets.market.calendar import KnownDays
from sensequant_assets.market.intraday import (
    INTERVALS,
    SessionHoursUnknownError,
    month_candles,
    month_sessions,
    session_candles,
)
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.universe.reference import (
    SESSIONS_FILE,
    ReferenceFileError,
    load_known_days,
)

KNOWN = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
REGULAR = dt.date(2024, 1, 2)


def hhmm(stamps: pd.DatetimeIndex) -> list[str]:
    return [f"{ts:%H:%M}" for ts in stamps]


@pytest.mark.parametrize(
    ("interval", "count", "last"),
    [("1minute", 375, "15:29"), ("5minute", 75, "15:25"), ("30minute", 13, "15:15")],
)
def test_a_regular_session_runs_0915_to_1530(interval: str, count: int, last: str) -> None:
    stamps = session_candles(REGULAR, interval, KNOWN)
    assert len(stamps) == count and hhmm(stamps)[0] == "09:15" and hhmm(stamps)[-1] == last
    assert str(stamps.tz) == "Asia/Kolkata" and stamps.is_monotonic_increasing
    # Every stamp is a step from the open: the 15:15 candle at 30minute is the short last one.
    assert set(((stamps - stamps[0]) % pd.Timedelta(minutes=INTERVALS[interval])).unique()) == {
        pd.Timedelta(0)
    }


def test_special_sessions_take_their_hours_from_the_reference_file() -> None:
    muhurat = session_candles(dt.date(2024, 11, 1), "1minute", KNOWN)
    assert (len(muhurat), hhmm(muhurat)[0], hhmm(muhurat)[-1]) == (60, "18:00", "18:59")
    disaster_recovery = session_candles(dt.date(2024, 3, 2), "30minute", KNOWN)
    assert hhmm(disaster_recovery) == ["09:15", "09:45", "11:30", "12:00"]
    assert len(session_candles(dt.date(2024, 3, 2), "1minute", KNOWN)) == 45 + 60
    assert len(session_candles(dt.date(2025, 10, 21), "5minute", KNOWN)) == 12


def test_closed_days_have_no_candles() -> None:
    for day in (dt.date(2024, 1, 6), dt.date(2024, 1, 22)):  # a Saturday, a late holiday
        assert session_candles(day, "1minute", KNOWN).empty


def test_a_special_session_without_hours_names_the_line_to_complete() -> None:
    known = KnownDays(sessions={dt.date(2027, 11, 1): "Muhurat"})
    with pytest.raises(SessionHoursUnknownError, match=r"2027-11-01,session,\"Muhurat\",18:15"):
        session_candles(dt.date(2027, 11, 1), "1minute", known)


def test_an_unknown_interval_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'1hour' is not an intraday interval"):
        session_candles(REGULAR, "1hour", KNOWN)


def test_month_sessions_follow_the_daily_calendar() -> None:
    march = month_sessions(2024, 3, KNOWN)
    assert dt.date(2024, 3, 2) in march  # the DR Saturday, from sessions.csv
    assert dt.date(2024, 3, 8) not in march and dt.date(2024, 3, 25) not in march  # holidays
    assert len(march) == 19
    assert len(month_candles(2024, 3, "1minute", KNOWN)) == 18 * 375 + 105


def test_hours_are_an_optional_last_column(tmp_path: Path) -> None:
    path = tmp_path / SESSIONS_FILE
    path.write_text("date,kind,note\n2025-10-21,session,Muhurat\n", encoding="utf-8")
    assert load_known_days(path).hours == {}
    path.write_text(
        "date,kind,note,hours\n2025-10-21,session,Muhurat,13:45-14:45\n2027-01-26,holiday,R\n",
        encoding="utf-8",
    )
    assert load_known_days(path).hours == {
        dt.date(2025, 10, 21): ((dt.time(13, 45), dt.time(14, 45)),)
    }


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2025-10-21,session,M,13:45", r":2: hours '13:45' is not HH:MM-HH:MM"),
        ("2025-10-21,session,M,11:30-12:30 09:15-10:00", r":2: hours .* must be ordered"),
        ("2027-01-26,holiday,R,09:15-10:00", r":2: only a session row has hours"),
    ],
)
def test_bad_hours_name_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / SESSIONS_FILE
    path.write_text(f"date,kind,note,hours\n{row}\n", encoding="utf-8")
    with pytest.raises(ReferenceFileError, match=message):
        load_known_days(path)
