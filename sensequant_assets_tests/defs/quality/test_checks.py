"""The checks in real (in-process) Dagster runs: one range run, per-partition results."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.alerts import AlertsResource
from sensequant_assets.defs.partitions import symbol_year_partitions, symbols_partitions
from sensequant_assets.defs.quality.checks import daily_bars_checks, freshness_check, mapping_check
from sensequant_assets.market.calendar import sessions_in_year
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.quality.factories import bars_for, mapping_rows, store, year_days

SYMBOLS = ("GOOD", "GAPPY", "BROKEN", "JUMPY", "NOBARS", "UNMAPPED")
YEARS = (2022, 2023, 2024)
RANGE = range_tags("GOOD|2022", "UNMAPPED|2024")


@dg.asset(key="daily_bars", partitions_def=symbol_year_partitions)
def daily_bars_stand_in() -> dg.MaterializeResult:
    """Stands in for the ingestion asset: the bars are written before the run."""
    return dg.MaterializeResult()


@dg.asset(key="symbol_mapping", partitions_def=symbols_partitions)
def symbol_mapping_stand_in() -> dg.MaterializeResult:
    return dg.MaterializeResult()


@pytest.fixture
def warehouse(tmp_path: Path) -> WarehouseResource:
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    bars = {(s, y): bars_for(s, year_days(y)) for s in SYMBOLS[:4] for y in YEARS}
    days = sessions_in_year(2023)
    bars["GAPPY", 2023] = bars_for("GAPPY", [d for d in days if d != days[7]])
    bars["BROKEN", 2024].loc[5, "high"] = 50.0
    bars["JUMPY", 2022].loc[60:, ["open", "high", "low", "close"]] *= 2.0
    with resource.get_connection() as conn:
        store(conn, bars, mapping_rows(*SYMBOLS, failed=["UNMAPPED"]))
    return resource


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        test_instance.add_dynamic_partitions("symbols", list(SYMBOLS))
        yield test_instance


def evaluations(
    result: dg.ExecuteInProcessResult,
) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {(e.check_name, str(e.partition)): e for e in result.get_asset_check_evaluations()}


def test_one_range_run_gives_every_partition_its_own_result(
    warehouse: WarehouseResource, instance: dg.DagsterInstance, paths: ProjectPaths
) -> None:
    result = dg.materialize(
        [daily_bars_stand_in, daily_bars_checks],
        instance=instance,
        resources={"warehouse": warehouse, "paths": paths},
        tags=RANGE,
    )
    assert result.success
    found = evaluations(result)
    keys = [f"{s}|{y}" for s in SYMBOLS for y in YEARS]
    checks = ("coverage_check", "integrity_check", "plausibility_check")
    assert set(found) == {(c, k) for c in checks for k in keys}
    failed = {(c, k) for (c, k), e in found.items() if not e.passed}
    nothing = {f"{s}|{y}" for s in ("NOBARS", "UNMAPPED") for y in YEARS}
    assert failed == {
        ("coverage_check", "GAPPY|2023"),
        ("integrity_check", "BROKEN|2024"),
        ("plausibility_check", "JUMPY|2022"),
        *(("coverage_check", k) for k in nothing),
    }
    severities = {c: {e.severity for (n, _), e in found.items() if n == c} for c in checks}
    assert severities == {
        "coverage_check": {dg.AssetCheckSeverity.ERROR},
        "integrity_check": {dg.AssetCheckSeverity.ERROR},
        "plausibility_check": {dg.AssetCheckSeverity.WARN},
    }
    gap = found["coverage_check", "GAPPY|2023"]
    assert gap.description.startswith(f"1 missing session(s) ({sessions_in_year(2023)[7]})")
    assert gap.metadata["expected_sessions"].value == 245
    assert gap.metadata["found_sessions"].value == 244
    good = found["coverage_check", "GOOD|2024"]
    assert good.metadata["bar_count"].value == 249
    assert set(good.metadata["special_sessions"].value) == {
        "2024-03-02",
        "2024-05-18",
        "2024-11-01",
    }
    assert found["coverage_check", "NOBARS|2022"].description.startswith(
        "The source returned no bars for NOBARS in 2022"
    )
    assert found["coverage_check", "UNMAPPED|2022"].description.startswith(
        "No bars, because the symbol is unmapped: UNMAPPED (NSE ticker UNMAPPED) did not resolve"
    )
    assert (
        "high below open or close: 1 bar(s)" in found["integrity_check", "BROKEN|2024"].description
    )

    # Each evaluation points at its own partition's materialization in this run (the UI needs it).
    materializations = {str(m.partition): m for m in result.get_asset_materialization_events()}
    assert len(materializations) == len(keys)
    for (_, key), evaluation in found.items():
        target = evaluation.target_materialization_data
        assert target is not None and target.run_id == result.run_id
        stored = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("daily_bars"), asset_partitions=[key]),
            limit=1,
        ).records[0]
        assert target.storage_id == stored.storage_id
    # Stored against their partitions, which is what the UI's check grid reads.
    history = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey("daily_bars"), "coverage_check"), limit=100
    )
    assert {record.partition for record in history} >= set(keys)


def test_one_check_alone_points_at_the_earlier_materialization(
    warehouse: WarehouseResource, instance: dg.DagsterInstance, paths: ProjectPaths
) -> None:
    first = dg.materialize(
        [daily_bars_stand_in], instance=instance, partition_key="GOOD|2023", resources={}
    )
    result = dg.materialize(
        [daily_bars_stand_in, daily_bars_checks],
        instance=instance,
        resources={"warehouse": warehouse, "paths": paths},
        selection=dg.AssetSelection.checks(
            dg.AssetCheckKey(dg.AssetKey("daily_bars"), "coverage_check")
        ),
        tags=range_tags("GOOD|2023", "GOOD|2023"),
    )
    assert not result.get_asset_materialization_events()
    (coverage,) = result.get_asset_check_evaluations()
    assert coverage.check_name == "coverage_check"
    assert coverage.partition == "GOOD|2023" and coverage.passed
    assert coverage.target_materialization_data is not None
    assert coverage.target_materialization_data.run_id == first.run_id


def test_mapping_check_per_symbol(
    warehouse: WarehouseResource, instance: dg.DagsterInstance, paths: ProjectPaths
) -> None:
    result = dg.materialize(
        [symbol_mapping_stand_in, mapping_check],
        instance=instance,
        resources={"warehouse": warehouse, "paths": paths},
        tags=range_tags(SYMBOLS[0], SYMBOLS[-1]),
    )
    found = {e.partition: e for e in result.get_asset_check_evaluations()}
    assert set(found) == set(SYMBOLS)
    assert [s for s, e in found.items() if not e.passed] == ["UNMAPPED"]
    assert all(e.target_materialization_data is not None for e in found.values())
    assert "status failed: no instrument named UNMAPPED" in str(found["UNMAPPED"].description)


def test_a_never_materialized_partition_says_so(
    warehouse: WarehouseResource, instance: dg.DagsterInstance, paths: ProjectPaths
) -> None:
    result = dg.materialize(
        [daily_bars_stand_in, daily_bars_checks],
        instance=instance,
        resources={"warehouse": warehouse, "paths": paths},
        selection=dg.AssetSelection.checks(daily_bars_checks),
        tags=range_tags("NOBARS|2023", "NOBARS|2023"),
    )
    coverage = evaluations(result)["coverage_check", "NOBARS|2023"]
    assert not coverage.passed and coverage.target_materialization_data is None
    assert coverage.description == (
        "daily_bars[NOBARS|2023] has never been materialized; materialize it, then re-run "
        "this check."
    )


def test_freshness_runs_with_a_range_run_warns_and_writes_no_alert(
    warehouse: WarehouseResource, instance: dg.DagsterInstance, paths: ProjectPaths, tmp_path
) -> None:
    """In a bars run the freshness check records one asset-level result the catalog shows; an
    overdue warehouse warns without failing the run, and only the cut-off run alerts the desk."""
    log = tmp_path / "alerts.log"
    result = dg.materialize(
        [daily_bars_stand_in, daily_bars_checks, freshness_check],
        instance=instance,
        resources={
            "warehouse": warehouse,
            "paths": paths,
            "alerts": AlertsResource(log_file=str(log)),
        },
        tags=RANGE,
    )
    assert result.success
    [fresh] = [e for e in result.get_asset_check_evaluations() if e.check_name == "freshness_check"]
    assert fresh.partition is None and not fresh.passed
    assert fresh.severity == dg.AssetCheckSeverity.WARN
    assert fresh.description.startswith(
        "Overdue: holds 2024-12-31, lacks the session of 2025-01-01"
    )
    assert "4 of 4 symbol(s) behind: BROKEN, GAPPY, GOOD, JUMPY." in fresh.description
    assert not log.exists()
