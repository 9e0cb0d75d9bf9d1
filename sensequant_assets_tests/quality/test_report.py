import datetime as dt
from pathlib import Path

import pytest

from sensequant_assets.market.calendar import sessions_in_year
from sensequant_assets.market.history import HistorySettings
from sensequant_assets.quality.evaluate import read_calendar_evidence
from sensequant_assets.quality.report import build_reports
from sensequant_assets.universe.constituents import parse_constituent_text
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests import TEST_FIRST_YEAR

from .factories import AFTER_2024, REFERENCE, bars_for, mapping_rows, store, year_days

YEARS = (2022, 2023, 2024)


@pytest.fixture
def warehouse(tmp_path: Path) -> WarehouseResource:
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    bars = {("TCS", y): bars_for("TCS", year_days(y)) for y in YEARS}
    days = sessions_in_year(2023)
    bars["INFY", 2022] = bars_for("INFY", year_days(2022))
    bars["INFY", 2023] = bars_for("INFY", days[:-4])
    bars["LICI", 2022] = bars_for("LICI", [d for d in year_days(2022) if d.month >= 6])
    with resource.get_connection() as conn:
        store(conn, bars, mapping_rows("TCS", "INFY", "LICI", "OBEROI", failed=["OBEROI"]))
    return resource


def test_every_symbol_year_is_classified(
    warehouse: WarehouseResource, listings: dict[str, dt.date]
) -> None:
    nifty = parse_constituent_text("# batch\nTCS\nINFY\nOBEROI\nbad|name\n", Path("nifty.txt"))
    other = parse_constituent_text("LICI\n", Path("other.txt"))
    with warehouse.get_connection() as conn:
        evidence = read_calendar_evidence(
            conn,
            HistorySettings(first_year=TEST_FIRST_YEAR).years_through(AFTER_2024),
            REFERENCE,
            AFTER_2024,
        )
        reports = build_reports(conn, [nifty, other], listings, evidence, AFTER_2024)
    first, second = reports
    assert first.batch == "nifty" and first.years == (2022, 2023, 2024, 2025)
    labels = {s: [row[y].label for y in YEARS] for s, row in first.cells.items()}
    assert labels == {
        "TCS": ["complete", "complete", "complete"],
        "INFY": ["complete", "partial (4 missing)", "empty"],
        "OBEROI": ["unmapped", "unmapped", "unmapped"],
    }
    assert first.cells["TCS"][2025].status == "no_sessions"
    # LICI listed 2022-05-17: from June only, so 2022 misses the sessions of 17-31 May.
    assert second.cells["LICI"][2022].label.startswith("partial (")
    assert first.counts() == {
        "complete": 4,
        "partial": 1,
        "empty": 1,
        "unmapped": 4,
        "no_sessions": 2,
    }
    table = first.markdown()
    assert "| symbol | 2022 | 2023 | 2024 | 2025 |" in table
    assert "| INFY | complete | partial (4 missing) | empty | no sessions |" in table
    assert "nifty.txt:5: '|' and ',' cannot appear in a symbol" in table
    cell = first.to_json()["symbols"]["INFY"]["2023"]
    assert cell["missing_sessions"] == 4 and cell["expected_sessions"] == 245
