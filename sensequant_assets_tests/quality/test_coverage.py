import datetime as dt

import pytest

from sensequant_assets.market.calendar import NO_KNOWN_DAYS, KnownDays, sessions_in_year
from sensequant_assets.quality.coverage import check_coverage

from .factories import AFTER_2024, REFERENCE, bars_for, year_days

LICI_LISTED = dt.date(2022, 5, 17)


@pytest.mark.parametrize(("year", "sessions"), [(2022, 247), (2023, 245), (2024, 246)])
def test_calendar_figures(year: int, sessions: int) -> None:
    result = check_coverage(
        bars_for("X", year_days(year)), "X", year, now=AFTER_2024, known=REFERENCE
    )
    assert len(result.expected) == sessions
    assert len(result.found) == sessions
    assert result.verdict == "complete" and result.passed


def test_743_bars_with_the_five_special_sessions_are_complete() -> None:
    results = [
        check_coverage(
            bars_for("OBEROI", year_days(y)), "OBEROI", y, now=AFTER_2024, known=REFERENCE
        )
        for y in (2022, 2023, 2024)
    ]
    assert sum(r.bar_count for r in results) == 743
    assert sum(len(r.expected) for r in results) == 738
    assert all(r.passed for r in results)
    assert {d for r in results for d in r.special_sessions} == {
        d for d in REFERENCE.sessions if 2022 <= d.year <= 2024
    }
    assert "Diwali Muhurat trading" in str(results[0].metadata()["special_sessions"])
    assert (
        "3 special session(s) present (2024-03-02, 2024-05-18, 2024-11-01)" in results[2].describe()
    )


def test_absent_special_sessions_are_not_gaps() -> None:
    result = check_coverage(
        bars_for("X", year_days(2024, specials=False)), "X", 2024, now=AFTER_2024, known=REFERENCE
    )
    assert result.passed and not result.special_sessions and not result.missing


def test_missing_sessions_fail_with_their_dates() -> None:
    days = list(sessions_in_year(2023))
    dropped = [days[10], days[11], days[100]]
    bars = bars_for("TATASTEEL", [d for d in days if d not in dropped])
    result = check_coverage(bars, "TATASTEEL", 2023, now=AFTER_2024, known=REFERENCE)
    assert not result.passed and result.verdict == "partial"
    assert result.missing == tuple(dropped)
    assert result.describe().startswith(
        f"3 missing session(s) ({dropped[0]}, {dropped[1]}, {dropped[2]})"
    )
    meta = result.metadata()
    assert meta["expected_sessions"] == 245 and meta["found_sessions"] == 242
    assert meta["first_missing_dates"] == [d.isoformat() for d in dropped]


def test_a_bar_on_an_ordinary_weekend_fails() -> None:
    sunday = dt.date(2023, 1, 8)
    result = check_coverage(
        bars_for("X", [*year_days(2023), sunday]), "X", 2023, now=AFTER_2024, known=REFERENCE
    )
    assert not result.passed and not result.missing
    assert list(result.unexpected) == [sunday]
    assert "2023-01-08 is a Sunday the NSE calendar does not list" in result.describe()


def test_listing_date_partial_year_is_complete_from_listing() -> None:
    days = [d for d in sessions_in_year(2022) if d >= LICI_LISTED]
    days.append(dt.date(2022, 10, 24))  # Muhurat trading, after listing
    result = check_coverage(
        bars_for("LICI", days), "LICI", 2022, LICI_LISTED, AFTER_2024, known=REFERENCE
    )
    assert result.passed, result.describe()
    assert result.expected[0] == LICI_LISTED
    assert len(result.expected) < 247
    assert "from the listing date 2022-05-17" in result.describe()


def test_bars_before_the_listing_date_fail() -> None:
    result = check_coverage(
        bars_for("LICI", year_days(2022)), "LICI", 2022, LICI_LISTED, AFTER_2024, known=REFERENCE
    )
    assert not result.passed
    assert all(why.startswith("is before the listing date") for why in result.unexpected.values())


def test_listing_year_gap_after_listing_still_fails() -> None:
    days = [d for d in sessions_in_year(2022) if d > LICI_LISTED]
    result = check_coverage(
        bars_for("LICI", days), "LICI", 2022, LICI_LISTED, AFTER_2024, known=REFERENCE
    )
    assert result.missing == (LICI_LISTED,)


def test_current_year_is_expected_up_to_the_last_completed_session() -> None:
    # 2024-06-14 is a Friday session; at 10:00 IST its close has not passed yet.
    now = dt.datetime(2024, 6, 14, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
    done = [d for d in sessions_in_year(2024) if d < dt.date(2024, 6, 14)]
    special = [dt.date(2024, 3, 2), dt.date(2024, 5, 18)]
    result = check_coverage(bars_for("X", done + special), "X", 2024, now=now, known=REFERENCE)
    assert result.passed, result.describe()
    assert result.expected[-1] == dt.date(2024, 6, 13)

    today = check_coverage(
        bars_for("X", [*done, dt.date(2024, 6, 14)]), "X", 2024, now=now, known=REFERENCE
    )
    assert not today.passed
    assert "after the last completed session 2024-06-13" in today.describe()

    after_close = now.replace(hour=16)
    assert check_coverage(
        bars_for("X", done), "X", 2024, now=after_close, known=REFERENCE
    ).missing == (dt.date(2024, 6, 14),)


def test_empty_partition_says_the_source_returned_no_bars() -> None:
    result = check_coverage(bars_for("NOBARS", []), "NOBARS", 2023, now=AFTER_2024, known=REFERENCE)
    assert result.verdict == "empty" and not result.passed
    assert result.describe().startswith(
        "The source returned no bars for NOBARS in 2023: 245 sessions expected"
    )


def test_year_before_any_session_expects_nothing() -> None:
    result = check_coverage(bars_for("X", []), "X", 2025, now=AFTER_2024, known=REFERENCE)
    assert result.verdict == "no_sessions" and result.passed


def test_bars_outside_the_year_fail() -> None:
    bars = bars_for("X", [*year_days(2023), dt.date(2024, 1, 2)])
    result = check_coverage(bars, "X", 2023, now=AFTER_2024, known=REFERENCE)
    assert result.unexpected == {dt.date(2024, 1, 2): "is outside 2023"}


def test_accepts_the_warehouse_date_dtype() -> None:
    bars = bars_for("X", year_days(2022))
    bars["date"] = bars["date"].astype("datetime64[us]")
    assert check_coverage(bars, "X", 2022, now=AFTER_2024, known=REFERENCE).passed


def test_2025_muhurat_is_a_special_session_by_the_reference_file() -> None:
    """2025-10-21 failed every symbol before: XBOM lists it as the Diwali holiday."""
    after_2025 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    bars = bars_for("X", [*sessions_in_year(2025), dt.date(2025, 10, 21)])
    result = check_coverage(bars, "X", 2025, now=after_2025, known=REFERENCE)
    assert result.passed, result.describe()
    assert "Muhurat" in result.metadata()["special_sessions"]["2025-10-21"]
    without = check_coverage(bars, "X", 2025, now=after_2025, known=NO_KNOWN_DAYS)
    assert "2025-10-21 is a Tuesday the NSE calendar does not list" in without.describe()


def test_a_known_holiday_is_never_expected_and_a_bar_on_it_fails() -> None:
    closed = dt.date(2023, 6, 1)
    known = REFERENCE.merged(KnownDays(holidays={closed: "declared late"}))
    bars = bars_for("X", [d for d in year_days(2023) if d != closed])
    result = check_coverage(bars, "X", 2023, now=AFTER_2024, known=known)
    assert result.passed and closed not in result.expected
    assert result.metadata()["holidays_excluded"] == {"2023-06-01": "declared late"}
    traded = check_coverage(bars_for("X", year_days(2023)), "X", 2023, now=AFTER_2024, known=known)
    assert traded.unexpected == {closed: "is a market holiday (declared late)"}
