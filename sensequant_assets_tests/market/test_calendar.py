"""The calendar past exchange_calendars' horizon, and the known days that correct it."""

import datetime as dt

import pandas as pd

from sensequant_assets.market.calendar import (
    KnownDays,
    beyond_horizon,
    calendar_horizon,
    expected_sessions,
    last_completed_session,
    sessions_in_year,
)

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
# A pinned "now" in 2027, the first year exchange-calendars 4.13.2 knows no holiday of.
IN_2027 = dt.datetime(2027, 3, 1, 16, 0, tzinfo=IST)


def test_the_package_horizon_is_2026() -> None:
    assert calendar_horizon() == dt.date(2026, 12, 31)
    assert not beyond_horizon(2026) and beyond_horizon(2027)


def test_a_year_beyond_the_horizon_is_every_weekday_instead_of_an_error() -> None:
    days = sessions_in_year(2027)
    assert days == tuple(d.date() for d in pd.bdate_range("2027-01-01", "2027-12-31"))
    assert len(days) == 261
    # Within the horizon the package's own holidays still hold.
    assert len(sessions_in_year(2026)) == 245 and dt.date(2026, 1, 26) not in sessions_in_year(2026)


def test_2027_sessions_are_weekdays_minus_reference_holidays() -> None:
    known = KnownDays(holidays={dt.date(2027, 1, 26): "Republic Day"})
    expected = expected_sessions(2027, now=IN_2027, known=known)
    assert dt.date(2027, 1, 26) not in expected
    assert expected[0] == dt.date(2027, 1, 1) and expected[-1] == dt.date(2027, 3, 1)
    assert len(expected) == len(pd.bdate_range("2027-01-01", "2027-03-01")) - 1
    assert last_completed_session(IN_2027) == dt.date(2027, 3, 1)
    assert last_completed_session(IN_2027.replace(hour=10)) == dt.date(2027, 2, 26)


def test_new_year_in_mumbai_still_ends_on_the_last_2026_session() -> None:
    just_after_midnight = dt.datetime(2027, 1, 1, 0, 5, tzinfo=IST)
    assert last_completed_session(just_after_midnight) == dt.date(2026, 12, 31)
    assert expected_sessions(2027, now=just_after_midnight) == ()


def test_a_known_special_session_is_the_last_completed_one_after_its_close() -> None:
    budget_sunday = dt.date(2026, 2, 1)
    known = KnownDays(sessions={budget_sunday: "Union Budget live session"})
    evening = dt.datetime(2026, 2, 1, 17, 0, tzinfo=IST)
    assert last_completed_session(evening) == dt.date(2026, 1, 30)
    assert last_completed_session(evening, known) == budget_sunday
    # A special session is accepted, never expected.
    assert budget_sunday not in expected_sessions(2026, now=evening, known=known)


def test_merged_keeps_both_and_prefers_its_own_why() -> None:
    day = dt.date(2025, 10, 21)
    reference = KnownDays(sessions={day: "Muhurat"}, holidays={dt.date(2027, 1, 26): "R-Day"})
    found = KnownDays(sessions={day: "seen in the data"})
    merged = reference.merged(found)
    assert merged.sessions == {day: "Muhurat"}
    assert merged.holidays == {dt.date(2027, 1, 26): "R-Day"}
