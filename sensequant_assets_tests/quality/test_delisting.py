"""Coverage after a listing ends: HDFC, merged into HDFC Bank, traded last on 2023-07-12
(data/reference/listings.csv `last_session`). The synthetic source stops there, as a real feed
does; coverage expects sessions up to that day and none after, so the merger year is complete
and the years after hold no sessions, instead of failing as gaps and empty partitions."""

import datetime as dt
from pathlib import Path

import pytest

from sensequant_assets.market.calendar import sessions_in_year
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.quality.coverage import check_coverage
from sensequant_assets.quality.evaluate import PartitionBars, evaluate_symbol_years
from sensequant_assets.quality.intraday import month_shape
from sensequant_assets.sources.base import SymbolMapping
from sensequant_assets.universe.reference import ReferenceFileError, load_listing_dates
from sensequant_assets_tests.conftest import synthetic_at_fixed_now

from .factories import AFTER_2024, REFERENCE, bars_for

LAST = dt.date(2023, 7, 12)


def hdfc_bars() -> PartitionBars:
    source = synthetic_at_fixed_now()
    mapping = SymbolMapping("HDFC", "HDFC", "HDFC", "1", "HDFC LIMITED", "success")
    groups = {("HDFC", year): source.fetch_year(mapping, year).bars for year in (2022, 2023, 2024)}
    return PartitionBars(bars=groups["HDFC", 2022].iloc[0:0], groups=groups)


def test_coverage_after_a_delisting_expects_nothing_after_the_last_session() -> None:
    listings = load_listing_dates(REFERENCE_DIR / "listings.csv")
    assert listings.last_session("HDFC") == LAST
    data = hdfc_bars()
    assert data.of("HDFC", 2023)["date"].max().date() == LAST
    assert data.of("HDFC", 2024).empty
    results = evaluate_symbol_years(
        data, [("HDFC", 2022), ("HDFC", 2023), ("HDFC", 2024)], listings, REFERENCE, AFTER_2024
    )
    verdicts = [r.coverage.verdict for r in results]
    assert verdicts == ["complete", "complete", "no_sessions"]
    merger_year = results[1].coverage
    assert merger_year.expected[-1] == LAST
    assert merger_year.metadata()["last_session"] == "2023-07-12"
    assert "its listing ended with the session of 2023-07-12" in results[2].coverage.describe()


def test_without_the_end_the_same_bars_fail_as_gaps_and_an_empty_year() -> None:
    """What coverage said before listings.csv had an end: a merged company is a failure."""
    data = hdfc_bars()
    results = evaluate_symbol_years(
        data, [("HDFC", 2023), ("HDFC", 2024)], {}, REFERENCE, AFTER_2024
    )
    assert [r.coverage.verdict for r in results] == ["partial", "empty"]


def test_a_bar_after_the_last_session_is_unexpected() -> None:
    days = [d for d in sessions_in_year(2023) if d <= dt.date(2023, 7, 14)]
    result = check_coverage(
        bars_for("HDFC", days), "HDFC", 2023, now=AFTER_2024, known=REFERENCE, last_session=LAST
    )
    assert not result.passed
    assert set(result.unexpected) == {dt.date(2023, 7, 13), dt.date(2023, 7, 14)}
    assert "is after the listing's last session 2023-07-12" in result.describe()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("X,2022-05-17,2022-05-01\n", r":5: X's last_session 2022-05-01 is before its listed_on"),
        ("X,,2023-02-30\n", r":5: last_session is not YYYY-MM-DD"),
        ("X,,\n", r":5: X has neither date"),
        ("LICI,,2024-01-01\n", r":5: LICI is listed twice"),
    ],
)
def test_a_bad_listing_row_names_its_file_and_line(tmp_path: Path, rows: str, message: str) -> None:
    path = tmp_path / "listings.csv"
    path.write_text("# c\nsymbol,listed_on,last_session\n\nLICI,2022-05-17,\n" + rows)
    with pytest.raises(ReferenceFileError, match=message):
        load_listing_dates(path)


def test_a_listings_file_without_the_end_column_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "listings.csv"
    path.write_text("symbol,listed_on\nLICI,2022-05-17\n")
    listings = load_listing_dates(path)
    assert listings == {"LICI": dt.date(2022, 5, 17)} and listings.ends == {}


def test_intraday_expects_no_candles_after_the_listing_ended() -> None:
    july = dt.date(2023, 7, 1)
    shape = month_shape(july, "30minute", REFERENCE, now=AFTER_2024, last_session=LAST)
    assert max(shape.candles) == LAST
    assert max(month_shape(july, "30minute", REFERENCE, now=AFTER_2024).candles) > LAST
