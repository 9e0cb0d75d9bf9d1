"""Sessions from evidence: what many symbols' bars say about days the calendar gets wrong.

The first tests judge hand-made day counts; the later ones go through the warehouse and show that
the coverage check's evaluation and the teacher gate accept a late special session, a late holiday
and a year past the calendar's horizon alike, and name the reference line to add.
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sensequant_assets.market.calendar import (
    HORIZON_NOTE,
    NO_KNOWN_DAYS,
    KnownDays,
    sessions_in_year,
)
from sensequant_assets.quality.evaluate import (
    evaluate_symbol_years,
    read_calendar_evidence,
    read_partition_bars,
)
from sensequant_assets.quality.gate import blocking_failures
from sensequant_assets.quality.sessions import MIN_WITNESSES, find_calendar_evidence
from sensequant_assets.warehouse.bar_days import BarDays
from sensequant_assets.warehouse.resources import WarehouseResource

from .factories import bars_for, mapping_rows, store

MUHURAT_2025 = dt.date(2025, 10, 21)  # a Tuesday XBOM lists as the Diwali holiday
AFTER_2025 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
IN_2027 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)  # 14:30 IST: 2027-02-26 is the last
REPUBLIC_DAY_2027 = dt.date(2027, 1, 26)
SYMBOLS = tuple(f"S{i}" for i in range(1, 7))


def day_counts(symbols: dict[str, Iterable[dt.date]]) -> BarDays:
    """The aggregates read_bar_days returns, built from each symbol's bar dates."""
    counts: dict[dt.date, int] = {}
    spans = []
    for days in symbols.values():
        ordered = sorted(days)
        for day in ordered:
            counts[day] = counts.get(day, 0) + 1
        if ordered:
            spans.append((ordered[0], ordered[-1]))
    return BarDays(symbols_on=counts, spans=spans)


def year_2025(*extra: dt.date, without: Iterable[dt.date] = ()) -> list[dt.date]:
    dropped = set(without)
    return sorted({*(d for d in sessions_in_year(2025) if d not in dropped), *extra})


def test_a_day_most_symbols_traded_is_a_session_the_calendar_missed() -> None:
    days = day_counts({s: year_2025(MUHURAT_2025) if s != "S6" else year_2025() for s in SYMBOLS})
    evidence = find_calendar_evidence(days, [2025], NO_KNOWN_DAYS, AFTER_2025)
    (finding,) = evidence.sessions
    assert (finding.day, finding.with_bars, finding.witnesses) == (MUHURAT_2025, 5, 6)
    assert finding.reference_line == "2025-10-21,session,seen in the data: 5 of 6 symbols have bars"
    assert MUHURAT_2025 in evidence.known.sessions and not evidence.passed
    assert "add `2025-10-21,session,seen in the data: 5 of 6 symbols have bars` to " in (
        evidence.describe()
    )


def test_half_the_symbols_is_not_most() -> None:
    days = day_counts({s: year_2025(MUHURAT_2025) if s < "S4" else year_2025() for s in SYMBOLS})
    evidence = find_calendar_evidence(days, [2025], NO_KNOWN_DAYS, AFTER_2025)
    assert evidence.passed and not evidence.undecided  # 3 of 6: bars there stay errors


def test_a_calendar_day_no_symbol_traded_is_a_holiday() -> None:
    closed = dt.date(2025, 6, 2)
    days = day_counts({s: year_2025(without=[closed]) for s in SYMBOLS})
    evidence = find_calendar_evidence(days, [2025], NO_KNOWN_DAYS, AFTER_2025)
    (finding,) = evidence.holidays
    assert (
        finding.reference_line == "2025-06-02,holiday,seen in the data: none of 6 symbols has a bar"
    )
    assert evidence.known.holidays[closed].startswith("holiday seen in the data")


def test_too_few_symbols_judge_nothing_and_say_so() -> None:
    symbols = SYMBOLS[: MIN_WITNESSES - 1]
    days = day_counts({s: year_2025(MUHURAT_2025, without=[dt.date(2025, 6, 2)]) for s in symbols})
    evidence = find_calendar_evidence(days, [2025], NO_KNOWN_DAYS, AFTER_2025)
    assert evidence.passed and evidence.known == NO_KNOWN_DAYS
    (undecided,) = evidence.undecided
    assert undecided.day == MUHURAT_2025
    assert "fewer than 5 symbols cover them, too few to judge: 2025-10-21 (4 of 4)" in (
        evidence.describe()
    )


def test_a_source_not_updated_yet_or_a_later_listing_is_no_holiday() -> None:
    """Days after every symbol's last bar, or before a symbol's first, are not witnessed."""
    late = [d for d in sessions_in_year(2025) if d <= dt.date(2025, 12, 26)]
    days = day_counts({s: late for s in SYMBOLS} | {"NEW": year_2025()[200:]})
    evidence = find_calendar_evidence(days, [2025], NO_KNOWN_DAYS, AFTER_2025)
    assert evidence.passed and not evidence.holidays


def test_a_reference_row_settles_a_day_before_the_data_does() -> None:
    reference = KnownDays(sessions={MUHURAT_2025: "Diwali Muhurat trading"})
    days = day_counts({s: year_2025(MUHURAT_2025) for s in SYMBOLS})
    evidence = find_calendar_evidence(days, [2025], reference, AFTER_2025)
    assert evidence.passed and evidence.known.sessions == reference.sessions


def test_a_reference_holiday_the_market_traded_asks_for_its_row_to_change() -> None:
    wrong = dt.date(2025, 6, 2)
    days = day_counts({s: year_2025() for s in SYMBOLS})
    evidence = find_calendar_evidence(days, [2025], KnownDays(holidays={wrong: "?"}), AFTER_2025)
    (finding,) = evidence.sessions
    assert finding.instruction.startswith(
        "replace the holiday row of 2025-06-02 in data/reference/sessions.csv with `2025-06-02,"
    )


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with WarehouseResource(database=str(tmp_path / "w.duckdb")).get_connection() as connection:
        yield connection


def store_year(conn: duckdb.DuckDBPyConnection, year: int, days: dict[str, list[dt.date]]) -> None:
    store(conn, {(s, year): bars_for(s, d) for s, d in days.items()}, mapping_rows(*days.keys()))


def coverage(
    conn: duckdb.DuckDBPyConnection, year: int, reference: KnownDays, now: dt.datetime
) -> dict[str, object]:
    """Each stored symbol's coverage of `year`, judged as the checks judge it."""
    wanted = [(s, year) for s in SYMBOLS]
    evidence = read_calendar_evidence(conn, [year], reference, now)
    data = read_partition_bars(conn, wanted)
    results = evaluate_symbol_years(data, wanted, {}, evidence.known, now)
    return {r.coverage.symbol: r.coverage for r in results}


def test_a_late_special_session_passes_every_symbol_and_the_gate(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    """The reported bug: a Muhurat candle on 2025-10-21, unknown to calendar and reference."""
    store_year(conn, 2025, {s: year_2025(MUHURAT_2025) for s in SYMBOLS})
    results = coverage(conn, 2025, NO_KNOWN_DAYS, AFTER_2025)
    assert all(result.passed for result in results.values())
    special = results["S1"].special_sessions[MUHURAT_2025]
    assert special.startswith("session seen in the data: 6 of 6 symbols have bars")
    assert blocking_failures(conn, ["S1"], {}, AFTER_2025, reference=NO_KNOWN_DAYS)["S1"] == []


def test_alone_the_same_bar_still_fails_as_before(conn: duckdb.DuckDBPyConnection) -> None:
    store_year(conn, 2025, {"S1": year_2025(MUHURAT_2025)})
    (failure,) = blocking_failures(conn, ["S1"], {}, AFTER_2025, reference=NO_KNOWN_DAYS)["S1"]
    assert "2025-10-21 is a Tuesday the NSE calendar does not list as a session" in failure
    # With the checked-in reference file (the default), the row for 2025-10-21 accepts it.
    assert blocking_failures(conn, ["S1"], {}, AFTER_2025)["S1"] == []


def test_a_late_holiday_is_no_gap_for_any_symbol(conn: duckdb.DuckDBPyConnection) -> None:
    closed = dt.date(2025, 6, 2)
    store_year(conn, 2025, {s: year_2025(without=[closed]) for s in SYMBOLS})
    results = coverage(conn, 2025, NO_KNOWN_DAYS, AFTER_2025)
    assert all(result.passed and not result.missing for result in results.values())
    assert closed in results["S3"].holidays and closed not in results["S3"].expected
    assert blocking_failures(conn, ["S3"], {}, AFTER_2025, reference=NO_KNOWN_DAYS)["S3"] == []


def weekdays_2027(until: dt.date, without: Iterable[dt.date] = ()) -> list[dt.date]:
    skipped = set(without)
    return [d.date() for d in pd.bdate_range("2027-01-01", until) if d.date() not in skipped]


def test_2027_works_from_weekdays_and_the_data_and_says_so(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    """A pinned now in 2027: exchange_calendars knows no 2027 holiday, nothing raises."""
    traded = weekdays_2027(dt.date(2027, 2, 26), without=[REPUBLIC_DAY_2027])
    store_year(conn, 2027, {s: traded for s in SYMBOLS})
    results = coverage(conn, 2027, NO_KNOWN_DAYS, IN_2027)
    assert all(result.passed for result in results.values())
    first = results["S1"]
    assert first.describe().endswith(f"; {HORIZON_NOTE}")
    assert first.metadata()["calendar"] == HORIZON_NOTE
    assert len(first.expected) == len(traded)
    evidence = read_calendar_evidence(conn, [2027], NO_KNOWN_DAYS, IN_2027)
    assert [f.reference_line for f in evidence.findings] == [
        "2027-01-26,holiday,seen in the data: none of 6 symbols has a bar"
    ]
    assert f"2027: {HORIZON_NOTE}" in evidence.describe()


def test_2027_for_one_symbol_takes_a_day_without_bars_as_a_holiday_until_the_list_is_added(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    """Too few symbols to judge, and no 2027 holiday list: a weekday without a bar is taken as a
    holiday (never a false gap on Republic Day). Once the list is added, its other weekdays are
    sessions again, so the same symbol missing one is a gap."""
    traded = weekdays_2027(dt.date(2027, 2, 26), without=[REPUBLIC_DAY_2027])
    store_year(conn, 2027, {"S1": traded})
    assert blocking_failures(conn, ["S1"], {}, IN_2027, reference=NO_KNOWN_DAYS)["S1"] == []
    evidence = read_calendar_evidence(conn, [2027], NO_KNOWN_DAYS, IN_2027)
    assert evidence.assumed == (REPUBLIC_DAY_2027,) and evidence.missing_lists == (2027,)
    reference = KnownDays(holidays={REPUBLIC_DAY_2027: "Republic Day"})
    assert blocking_failures(conn, ["S1"], {}, IN_2027, reference=reference)["S1"] == []
    store_year(conn, 2027, {"S1": [d for d in traded if d != dt.date(2027, 1, 27)]})
    (failure,) = blocking_failures(conn, ["S1"], {}, IN_2027, reference=reference)["S1"]
    assert "1 missing session(s) (2027-01-27)" in failure and HORIZON_NOTE in failure
