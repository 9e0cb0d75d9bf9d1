import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from sensequant_assets.market.calendar import sessions_in_year
from sensequant_assets.quality.gate import blocking_failures
from sensequant_assets.warehouse import storage
from sensequant_assets.warehouse.resources import WarehouseResource

from .factories import AFTER_2024, bars_for, mapping_rows, store, year_days

YEARS = (2022, 2023, 2024)

Listings = dict[str, dt.date]


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with WarehouseResource(database=str(tmp_path / "w.duckdb")).get_connection() as connection:
        yield connection


def test_clean_symbol_passes_every_year(
    conn: duckdb.DuckDBPyConnection, listings: Listings
) -> None:
    store(conn, {("TCS", y): bars_for("TCS", year_days(y)) for y in YEARS}, mapping_rows("TCS"))
    assert blocking_failures(conn, ["TCS"], listings, now=AFTER_2024)["TCS"] == []


def test_listed_mid_year_passes_from_its_listing_date(
    conn: duckdb.DuckDBPyConnection, listings: Listings
) -> None:
    bars = {("LICI", y): bars_for("LICI", year_days(y)) for y in (2023, 2024)}
    listed = [d for d in year_days(2022) if d.isoformat() >= "2022-05-17"]
    bars["LICI", 2022] = bars_for("LICI", listed)
    store(conn, bars, mapping_rows("LICI"))
    assert blocking_failures(conn, ["LICI"], listings, now=AFTER_2024)["LICI"] == []


def test_gaps_and_broken_bars_are_named_by_check_and_partition(
    conn: duckdb.DuckDBPyConnection,
    listings: Listings,
) -> None:
    days = list(sessions_in_year(2023))
    gappy = bars_for("TATASTEEL", [d for d in days if d not in days[50:53]])
    broken = bars_for("TATASTEEL", year_days(2024))
    broken.loc[3, "low"] = 150.0
    store(
        conn,
        {
            ("TATASTEEL", 2022): bars_for("TATASTEEL", year_days(2022)),
            ("TATASTEEL", 2023): gappy,
            ("TATASTEEL", 2024): broken,
        },
        mapping_rows("TATASTEEL"),
    )
    assert blocking_failures(conn, ["TATASTEEL"], listings, now=AFTER_2024)["TATASTEEL"] == [
        f"coverage_check failed for TATASTEEL|2023: 3 missing session(s) "
        f"({days[50]}, {days[51]}, {days[52]})",
        "integrity_check failed for TATASTEEL|2024: low above open or close: 1 bar(s) "
        f"({broken['date'][3].date()})",
    ]


def test_mapped_symbol_without_bars_says_the_source_returned_none(
    conn: duckdb.DuckDBPyConnection,
    listings: Listings,
) -> None:
    store(conn, {}, mapping_rows("NOBARS"))
    failures = blocking_failures(conn, ["NOBARS"], listings, now=AFTER_2024, years=[2023])["NOBARS"]
    assert failures == [
        "coverage_check failed for NOBARS|2023: The source returned no bars for NOBARS in "
        "2023: 245 sessions expected. Re-fetch the partition, or correct its listing date "
        "in data/reference/listings.csv."
    ]


def test_unmapped_symbol_fails_the_mapping_check(
    conn: duckdb.DuckDBPyConnection, listings: Listings
) -> None:
    store(conn, {}, mapping_rows("TCS", "OBEROI", failed=["OBEROI"]))
    (failure,) = blocking_failures(conn, ["OBEROI"], listings, now=AFTER_2024)["OBEROI"]
    assert failure.startswith(
        "mapping_check failed for OBEROI: OBEROI (NSE ticker OBEROI) did not resolve to an "
        "ISEC code (status failed: no instrument named OBEROI)"
    )


def test_default_years_are_the_materialized_ones(
    conn: duckdb.DuckDBPyConnection, listings: Listings
) -> None:
    """2025 was never materialized: not judged. A materialized but empty 2025 is a failure."""
    store(conn, {("TCS", y): bars_for("TCS", year_days(y)) for y in YEARS}, mapping_rows("TCS"))
    later = AFTER_2024.replace(year=2025, month=3)
    assert blocking_failures(conn, ["TCS"], listings, now=later)["TCS"] == []
    store(conn, {("TCS", 2025): bars_for("TCS", [])}, mapping_rows("TCS"))
    (failure,) = blocking_failures(conn, ["TCS"], listings, now=later)["TCS"]
    assert failure.startswith("coverage_check failed for TCS|2025: The source returned no bars")


def test_symbol_without_any_partition_is_gated(
    conn: duckdb.DuckDBPyConnection, listings: Listings
) -> None:
    store(conn, {}, mapping_rows("TCS"))
    assert blocking_failures(conn, ["TCS"], listings, now=AFTER_2024)["TCS"] == [
        "no daily_bars partition of TCS has been materialized; materialize daily_bars for TCS "
        "(every year) before its teacher"
    ]


def test_a_market_judged_at_once_is_judged_as_each_symbol_alone(
    conn: duckdb.DuckDBPyConnection, listings: Listings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The teacher asks once a run for all its symbols: their bars read a few symbols at a time
    (two here), the calendar's evidence once for every year any of them has. Each answer is the
    one the symbol gets when asked alone, whatever it failed and whichever years it holds."""
    monkeypatch.setattr(storage, "SYMBOLS_PER_READ", 2)
    broken = bars_for("OBEROI", year_days(2024))
    broken.loc[3, "high"] = 1.0
    days = list(sessions_in_year(2023))
    bars = {
        **{("TCS", y): bars_for("TCS", year_days(y)) for y in YEARS},
        ("LICI", 2022): bars_for(
            "LICI", [d for d in year_days(2022) if d.isoformat() >= "2022-05-17"]
        ),
        ("LICI", 2023): bars_for("LICI", year_days(2023)),
        ("TATASTEEL", 2023): bars_for("TATASTEEL", [d for d in days if d not in days[9:11]]),
        ("OBEROI", 2024): broken,
    }
    symbols = ["TCS", "LICI", "TATASTEEL", "NOBARS", "OBEROI"]
    store(conn, bars, mapping_rows(*symbols, failed=["OBEROI"]))
    alone = {s: blocking_failures(conn, [s], listings, now=AFTER_2024)[s] for s in symbols}
    assert blocking_failures(conn, symbols, listings, now=AFTER_2024) == alone
    assert [s for s, failures in alone.items() if failures] == ["TATASTEEL", "NOBARS", "OBEROI"]
    assert [len(alone[s]) for s in ("TATASTEEL", "NOBARS", "OBEROI")] == [1, 1, 2]
