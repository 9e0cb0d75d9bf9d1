"""Batch-level calendar evidence and corporate actions in real (in-process) Dagster runs.

Six symbols traded a day the calendar and the reference file call a holiday (a special session
announced late): one range run gives each partition a passing coverage_check, and the coverage
report warns once, with the line to add. One symbol's split is explained by its reference row;
another's jump, with no row, keeps warning.
"""

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pytest

from sensequant_assets.defs.quality.assets import coverage_report
from sensequant_assets.defs.quality.checks import daily_bars_checks
from sensequant_assets.market.calendar import sessions_in_year
from sensequant_assets.market.history import HistorySettings
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets.universe.reference import CORPORATE_ACTIONS_FILE
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.defs.quality.test_checks import daily_bars_stand_in, evaluations
from sensequant_assets_tests.quality.factories import bars_for, mapping_rows, store

LATE_SESSION = dt.date(2025, 8, 27)  # XBOM: Ganesh Chaturthi; here, a session announced late
SYMBOLS = ("L1", "L2", "L3", "L4", "L5", "L6")
LINE = "2025-08-27,session,seen in the data: 6 of 6 symbols have bars"


@pytest.fixture
def warehouse(warehouse: WarehouseResource) -> WarehouseResource:
    days = sorted([*sessions_in_year(2025), LATE_SESSION])
    bars = {(s, 2025): bars_for(s, days, close=1000.0) for s in SYMBOLS}
    split = days.index(dt.date(2025, 6, 16))
    bars["L1", 2025].loc[split:, ["open", "high", "low", "close"]] /= 10  # as traded
    bars["L1", 2025].loc[split:, "volume"] *= 10
    bars["L2", 2025].loc[150:, ["open", "high", "low", "close"]] *= 1.6  # no action explains it
    with warehouse.get_connection() as conn:
        store(conn, bars, mapping_rows(*SYMBOLS))
    return warehouse


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        test_instance.add_dynamic_partitions("symbols", list(SYMBOLS))
        yield test_instance


def test_a_late_session_passes_each_partition_and_a_split_row_explains_its_jump(
    warehouse: WarehouseResource, instance: dg.DagsterInstance, paths: ProjectPaths
) -> None:
    (paths.reference / CORPORATE_ACTIONS_FILE).write_text(
        "symbol,ex_date,kind,ratio,note\nL1,2025-06-16,split,10:1,test row\n", encoding="utf-8"
    )
    result = dg.materialize(
        [daily_bars_stand_in, daily_bars_checks],
        instance=instance,
        resources={"warehouse": warehouse, "paths": paths},
        tags=range_tags("L1|2025", "L6|2025"),
    )
    found = evaluations(result)
    for symbol in SYMBOLS:
        coverage = found["coverage_check", f"{symbol}|2025"]
        assert coverage.passed, coverage.description
        specials = coverage.metadata["special_sessions"].value
        assert specials["2025-08-27"].startswith("session seen in the data: 6 of 6 symbols")
    split = found["plausibility_check", "L1|2025"]
    assert split.passed
    assert "-90% explained by split 10:1 on 2025-06-16" in str(split.description)
    jump = found["plausibility_check", "L2|2025"]
    assert not jump.passed and jump.severity == dg.AssetCheckSeverity.WARN
    day = sorted([*sessions_in_year(2025), LATE_SESSION])[150]
    assert f"{day} +60%: it would take price factor 0.625" in str(jump.description)


def test_the_coverage_report_warns_once_naming_the_line_to_add(
    warehouse: WarehouseResource, paths: ProjectPaths, history: HistorySettings
) -> None:
    paths.constituents.mkdir()
    (paths.constituents / "late.txt").write_text("\n".join(SYMBOLS) + "\n", encoding="utf-8")
    result = dg.materialize(
        [coverage_report],
        resources={"warehouse": warehouse, "paths": paths, "history": history},
    )
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "calendar_evidence_check"
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert f"add `{LINE}` to data/reference/sessions.csv" in str(check.description)
    assert check.metadata["lines_to_add"].value == [LINE]
    (materialization,) = result.get_asset_materialization_events()
    table = materialization.materialization.metadata["late"].value
    assert "| L1 | empty | empty | empty | complete | empty |" in table
    assert f"- 2025-08-27: add `{LINE}`" in table
