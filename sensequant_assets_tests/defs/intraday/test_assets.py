"""intraday_bars in-process on a real (test) instance and warehouse: written by partition, checked
with one evaluation per partition, and each planted defect failing its check where planted."""

import dagster as dg

from sensequant_assets.defs.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.defs.intraday.assets import intraday_bars
from sensequant_assets.defs.intraday.checks import intraday_bars_checks
from sensequant_assets.defs.partitions import symbol_month_partitions
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources.intraday_batch import IntradaySettings
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets.warehouse.resources import WarehouseResource

INTRADAY = dg.AssetKey("intraday_bars")
SYMBOLS = ["RELIANCE", "INFY", "TCS", "HDFCBANK"]
KEYS = [f"2024-03|{symbol}" for symbol in SYMBOLS]
# Where the synthetic scenario plants each intraday defect; every other evaluation passes.
PLANTED = {
    ("2024-03|RELIANCE", "intraday_sessions_check"),
    ("2024-03|INFY", "intraday_hours_check"),
    ("2024-03|TCS", "intraday_daily_consistency_check"),
}


def resources(warehouse: WarehouseResource, source: object, interval: str = "1minute") -> dict:
    return {
        "warehouse": warehouse,
        "bar_source": source,
        "paths": ProjectPaths(),
        "intraday": IntradaySettings(interval=interval),
    }


def prepare(instance: dg.DagsterInstance, warehouse: WarehouseResource, source: object) -> None:
    """Symbols as partitions, their mappings and their 2024 daily bars (the consistency check's
    other side)."""
    instance.add_dynamic_partitions("symbols", SYMBOLS)
    given = resources(warehouse, source)
    dg.materialize(
        [symbol_mapping],
        instance=instance,
        resources=given,
        tags=range_tags("RELIANCE", "HDFCBANK"),
    )
    dg.materialize(
        [daily_bars, symbol_mapping.to_source_asset()],
        instance=instance,
        resources=given,
        selection=[daily_bars],
        tags=range_tags("RELIANCE|2024", "HDFCBANK|2024"),
    )


def fetch_intraday(
    instance: dg.DagsterInstance,
    warehouse: WarehouseResource,
    source: object,
    keys: list[str] = KEYS,
    interval: str = "1minute",
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [intraday_bars, intraday_bars_checks, symbol_mapping.to_source_asset()],
        instance=instance,
        resources=resources(warehouse, source, interval),
        selection=dg.AssetSelection.assets(intraday_bars)
        | dg.AssetSelection.checks_for_assets(intraday_bars),
        tags=range_tags(keys[0], keys[-1]),
        raise_on_error=False,
    )


def evaluations(
    result: dg.ExecuteInProcessResult,
) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {
        (str(e.partition), e.check_name): e
        for e in (
            event.asset_check_evaluation_data
            for event in result.all_events
            if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        )
    }


def test_each_partition_is_written_and_checked_in_the_grid(instance, warehouse, synthetic_source):
    prepare(instance, warehouse, synthetic_source)
    result = fetch_intraday(instance, warehouse, synthetic_source)
    assert result.success
    statuses = instance.get_status_by_partition(INTRADAY, KEYS, symbol_month_partitions)
    assert set(statuses.values()) == {dg.AssetPartitionStatus.MATERIALIZED}
    found = evaluations(result)
    assert len(found) == 4 * 4, "one evaluation per partition and check"
    failed = {key for key, evaluation in found.items() if not evaluation.passed}
    assert failed == PLANTED
    assert all(e.target_materialization_data is not None for e in found.values())
    sessions = found["2024-03|RELIANCE", "intraday_sessions_check"]
    assert "2024-03-12 lacks 30 of 375 candles, first missing 11:15" in sessions.description
    assert found["2024-03|TCS", "intraday_daily_consistency_check"].severity == (
        dg.AssetCheckSeverity.WARN
    )
    with warehouse.get_connection() as conn:
        rows = conn.execute(
            "SELECT symbol, count(*) FROM intraday_bars GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    assert dict(rows) == {"HDFCBANK": 6855, "INFY": 6856, "RELIANCE": 6825, "TCS": 6855}

    again = fetch_intraday(instance, warehouse, synthetic_source)  # idempotent replace
    assert again.success
    with warehouse.get_connection() as conn:
        assert conn.execute("SELECT count(*) FROM intraday_bars").fetchone()[0] == sum(
            n for _, n in rows
        )


def test_the_interval_is_a_resource_setting_kept_apart(instance, warehouse, synthetic_source):
    prepare(instance, warehouse, synthetic_source)
    assert fetch_intraday(instance, warehouse, synthetic_source, KEYS[3:], "30minute").success
    assert fetch_intraday(instance, warehouse, synthetic_source, KEYS[3:], "1minute").success
    with warehouse.get_connection() as conn:
        rows = conn.execute("SELECT interval, count(*) FROM intraday_bars GROUP BY ALL").fetchall()
    # 18 sessions of 13 candles, and the Saturday's two segments of two each
    assert dict(rows) == {"30minute": 18 * 13 + 4, "1minute": 6855}
