"""The current-year refresh: runs over symbols x this year only, chunked, off by default."""

import datetime as dt

import dagster as dg

from sensequant_assets.defs.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.defs.ingestion.jobs import bars_job
from sensequant_assets.defs.ingestion.schedules import current_year_refresh, current_year_requests
from sensequant_assets.defs.partitions import symbol_year_partitions
from sensequant_assets.market.calendar import IST
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.universe.partitions import PARTITIONS_PER_RUN
from sensequant_assets.warehouse.resources import WarehouseResource

DEFS = dg.Definitions(
    assets=[symbol_mapping, daily_bars],
    jobs=[bars_job],
    schedules=[current_year_refresh],
    resources={
        "warehouse": WarehouseResource(database="unused.duckdb"),
        "bar_source": SyntheticSource(),
        "paths": ProjectPaths(),
    },
)


def test_runs_cover_every_symbol_in_the_current_year_only(instance: dg.DagsterInstance) -> None:
    symbols = [f"S{n:03d}" for n in range(PARTITIONS_PER_RUN + 5)]
    instance.add_dynamic_partitions("symbols", symbols)
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=dt.datetime(2025, 6, 30, 18, tzinfo=IST)
    )
    data = current_year_refresh.evaluate_tick(context)
    requests = data.run_requests or []
    assert len(requests) == 2  # a full chunk + 5 symbols
    covered = []
    for request in requests:
        key_range = dg.PartitionKeyRange(
            request.tags["dagster/asset_partition_range_start"],
            request.tags["dagster/asset_partition_range_end"],
        )
        covered += symbol_year_partitions.get_partition_keys_in_range(
            key_range, dynamic_partitions_store=instance
        )
    assert sorted(covered) == sorted(f"{s}|2025" for s in symbols)
    assert len({r.run_key for r in requests}) == 2


def test_nothing_to_refresh_without_symbols(instance: dg.DagsterInstance) -> None:
    context = dg.build_schedule_context(instance=instance)
    assert current_year_refresh.evaluate_tick(context).skip_message


def test_off_by_default_after_the_nse_close_in_ist() -> None:
    assert current_year_refresh.default_status == dg.DefaultScheduleStatus.STOPPED
    assert current_year_refresh.execution_timezone == "Asia/Kolkata"
    assert current_year_refresh.cron_schedule == "0 18 * * 1-5"
    dg.Definitions.validate_loadable(DEFS)


def test_run_keys_make_a_retried_tick_idempotent() -> None:
    first = current_year_requests(["A", "B"], 2025, "2025-06-30")
    again = current_year_requests(["A", "B"], 2025, "2025-06-30")
    assert [r.run_key for r in first] == [r.run_key for r in again]
