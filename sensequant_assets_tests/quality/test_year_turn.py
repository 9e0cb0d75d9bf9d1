"""The year turns cleanly: a clock walks every day from 2026-12-30 through 2027-02-01.

exchange_calendars knows no 2027 holiday (its horizon ends 2026-12-31), and NSE publishes the 2027
list only in mid-December, so the platform must be right both before someone adds the list to
data/reference/sessions.csv and after. Each evening the stand-in market trades (every weekday but
Republic Day, 2027-01-26), the refresh stores what it traded, and at 20:30 IST freshness, coverage
and the teacher gate judge the warehouse, as their checks do, on a real DuckDB file. The 2027 list
is supplied by a temporary sessions file holding only Republic Day: the real 2027 list is not
published yet, so the checked-in file holds none.
"""

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sensequant_assets.market.calendar import IST, sessions_in_year
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.quality.evaluate import (
    evaluate_symbol_years,
    freshness_evidence,
    read_calendar_evidence,
    read_partition_bars,
)
from sensequant_assets.quality.freshness import universe_verdict
from sensequant_assets.quality.gate import blocking_failures
from sensequant_assets.quality.intraday import month_shape
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import latest_bar_dates

from .factories import bars_for, mapping_rows, store

REPUBLIC_DAY = dt.date(2027, 1, 26)
SYMBOLS = tuple(f"S{i}" for i in range(1, 7))
LATE = ("S6", dt.date(2027, 1, 28))
"""One symbol's refresh fails on one real session: freshness and coverage must still say so."""
FIRST, LAST = dt.date(2026, 12, 30), dt.date(2027, 2, 1)


def traded(day: dt.date) -> bool:
    """The stand-in market: XBOM's 2026, and every 2027 weekday but Republic Day."""
    if day.year == 2026:
        return day in sessions_in_year(2026)
    return day.weekday() < 5 and day != REPUBLIC_DAY


def sessions_through(day: dt.date, year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [
        first + dt.timedelta(n)
        for n in range((day - first).days + 1)
        if traded(first + dt.timedelta(n))
    ]


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with WarehouseResource(database=str(tmp_path / "w.duckdb")).get_connection() as connection:
        yield connection


@pytest.fixture(params=["without the 2027 list", "with the 2027 list"])
def reference(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    directory = tmp_path / "reference"
    directory.mkdir()
    shutil.copy(REFERENCE_DIR / SESSIONS_FILE, directory / SESSIONS_FILE)
    if request.param == "with the 2027 list":
        with open(directory / SESSIONS_FILE, "a", encoding="utf-8") as handle:
            handle.write("2027-01-26,holiday,Republic Day\n")
    return directory / SESSIONS_FILE


def refresh(conn: duckdb.DuckDBPyConnection, day: dt.date) -> None:
    """The evening refresh: every symbol's current year re-fetched through `day`."""
    bars = {
        (symbol, day.year): bars_for(
            symbol,
            sessions_through(day if (symbol, day) != LATE else day - dt.timedelta(1), day.year),
        )
        for symbol in SYMBOLS
    }
    store(conn, bars, mapping_rows(*SYMBOLS))


def test_every_day_across_the_year_turn_is_judged_right(
    conn: duckdb.DuckDBPyConnection, reference: Path
) -> None:
    known = load_known_days(reference)
    list_added = REPUBLIC_DAY in known.holidays
    store(
        conn,
        {(s, 2026): bars_for(s, sessions_through(FIRST - dt.timedelta(1), 2026)) for s in SYMBOLS},
        mapping_rows(*SYMBOLS),
    )
    day = FIRST
    while day <= LAST:
        refresh(conn, day)
        now = dt.datetime.combine(day, dt.time(20, 30), tzinfo=IST)
        last_session = max(sessions_through(day, day.year))
        late = {LATE[0]} if day == LATE[1] else set()

        evidence = freshness_evidence(conn, known, now)
        verdict, behind = universe_verdict(latest_bar_dates(conn), now, evidence.known)
        assert set(behind) == late, (day, verdict.describe())
        assert verdict.fresh == (not late), (day, verdict.describe())
        if late:
            assert verdict.lacking == day
        else:
            assert verdict.last_held == last_session
        assert (evidence.missing_list_note() != "") == (day.year == 2027 and not list_added)

        wanted = [(symbol, day.year) for symbol in SYMBOLS]
        year_evidence = read_calendar_evidence(conn, [day.year], known, now)
        results = evaluate_symbol_years(
            read_partition_bars(conn, wanted), wanted, {}, year_evidence.known, now
        )
        for result in results:
            coverage = result.coverage
            assert coverage.passed == (coverage.symbol not in late), (day, coverage.describe())
            assert REPUBLIC_DAY not in coverage.expected and REPUBLIC_DAY not in coverage.missing
            if coverage.symbol not in late:
                assert list(coverage.expected) == sessions_through(day, day.year), day
        assert blocking_failures(conn, ["S1"], {}, now, reference=known)["S1"] == []
        day += dt.timedelta(1)

    # Once later sessions exist, the bars alone show Republic Day closed: the line to add.
    final = read_calendar_evidence(conn, [2027], known, now)
    lines = [finding.reference_line for finding in final.findings]
    if list_added:
        assert lines == [] and final.passed and not final.missing_lists
    else:
        assert lines == ["2027-01-26,holiday,seen in the data: none of 6 symbols has a bar"]
        assert final.missing_lists == (2027,) and not final.passed
        assert "No holiday list for 2027 in data/reference/sessions.csv" in final.describe()
        assert "`2027-01-26,holiday,Republic Day`" in final.describe()


def test_on_republic_day_itself_freshness_and_coverage_read_a_holiday(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    """The reported case: judged at 2027-01-26 20:30 IST, nothing after it stored yet."""
    known = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
    held = sessions_through(REPUBLIC_DAY, 2027)
    store(conn, {(s, 2027): bars_for(s, held) for s in SYMBOLS}, mapping_rows(*SYMBOLS))
    now = dt.datetime(2027, 1, 26, 20, 30, tzinfo=IST)
    evidence = freshness_evidence(conn, known, now)
    verdict, behind = universe_verdict(latest_bar_dates(conn), now, evidence.known)
    assert verdict.fresh and behind == [] and verdict.last_held == dt.date(2027, 1, 25)
    assert evidence.assumed == (REPUBLIC_DAY,)
    assert "taken as a holiday (so far: 2027-01-26)" in evidence.missing_list_note()
    assert evidence.metadata()["holiday_lists_missing"] == [2027]


def test_with_the_list_a_session_nobody_stored_is_overdue(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Once the year's list is added, its weekdays are sessions again: a refresh that stored
    nothing for one is overdue, as in any year the exchange calendar knows."""
    path = tmp_path / SESSIONS_FILE
    path.write_text(
        (REFERENCE_DIR / SESSIONS_FILE).read_text(encoding="utf-8")
        + "2027-01-26,holiday,Republic Day\n",
        encoding="utf-8",
    )
    known = load_known_days(path)
    held = sessions_through(dt.date(2027, 1, 27), 2027)
    store(conn, {(s, 2027): bars_for(s, held) for s in SYMBOLS}, mapping_rows(*SYMBOLS))
    now = dt.datetime(2027, 1, 28, 20, 30, tzinfo=IST)
    evidence = freshness_evidence(conn, known, now)
    verdict, behind = universe_verdict(latest_bar_dates(conn), now, evidence.known)
    assert not verdict.fresh and verdict.lacking == dt.date(2027, 1, 28)
    assert behind == list(SYMBOLS) and evidence.missing_list_note() == ""


def test_the_walk_covers_the_turn_and_republic_day() -> None:
    days = pd.date_range(FIRST, LAST).date
    assert REPUBLIC_DAY in days and dt.date(2027, 1, 1) in days and len(days) == 34


def test_the_intraday_checks_calendar_takes_republic_day_as_a_holiday_too(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    """intraday_bars_checks build each month's shape on the daily checks' evidence: without the
    2027 list, January 2027's minutes are not expected on Republic Day either."""
    known = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
    held = sessions_through(dt.date(2027, 1, 29), 2027)
    store(conn, {(s, 2027): bars_for(s, held) for s in SYMBOLS}, mapping_rows(*SYMBOLS))
    now = dt.datetime(2027, 1, 29, 20, 30, tzinfo=IST)
    january = dt.date(2027, 1, 1)
    evidence = read_calendar_evidence(conn, [2027], known, now)
    shape = month_shape(january, "1minute", evidence.known, now=now)
    assert sorted(shape.candles) == held
    assert REPUBLIC_DAY in month_shape(january, "1minute", known, now=now).candles  # the file alone
