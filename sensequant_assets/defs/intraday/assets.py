"""Intraday bars: one symbol-month of candles per partition, at the deployment's interval.

Like daily_bars, a run takes up to 100 partitions, fetches them all before opening the warehouse
for writing, writes them in one transaction (replace by partition, never shrink), and fails only
the partitions whose answer fails. What is new is the daily call budget: 1-minute history for
NIFTY 100 x 3 years is ~28 000 calls, six days at 5000 a day. A run that meets the cap writes
what it fetched, marks the rest paused (not materialized, each with the time it resumes), and
fails its step so Dagster shows exactly that; `intraday_resume_sensor` launches the paused
partitions again once the budget allows, and the source's page cache spares every page already
fetched.
"""

import dagster as dg
from pydantic import Field

from sensequant_assets.dagster_internals import partition_tags
from sensequant_assets.defs.batches import failed_partition_events, partial_batch_error
from sensequant_assets.defs.keys import SYMBOL_MAPPING
from sensequant_assets.defs.owners import ownership
from sensequant_assets.defs.partitions import BATCHED_BACKFILL, BY_SYMBOL, symbol_month_partitions
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources.base import BarSource
from sensequant_assets.sources.ingest import (
    budget_metadata,
    intraday_failure_description,
    intraday_metadata,
    paused_metadata,
    paused_observations,
    store_intraday_bars,
)
from sensequant_assets.sources.intraday_batch import IntradaySettings
from sensequant_assets.universe.partitions import checked_month_symbols, month_symbol_key
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource
from sensequant_assets.warehouse.tables import INTRADAY_BARS

# Bump when what an intraday_bars row holds for the same answer changes.
INTRADAY_CODE_VERSION = "intraday-1"


class IntradayBarsConfig(dg.Config):
    """Run config of intraday_bars: the one way to let a refresh delete stored candles."""

    allow_shrink: bool = Field(
        default=False,
        description=(
            "Replace a partition's stored candles even where the source now answers fewer, none "
            "or others; the stored candles missing from the answer are deleted. Off (the "
            "default), such a partition fails and keeps its stored rows."
        ),
    )


@dg.asset(
    partitions_def=symbol_month_partitions,
    deps=[dg.AssetDep(SYMBOL_MAPPING, partition_mapping=BY_SYMBOL)],
    backfill_policy=BATCHED_BACKFILL,
    pool=WAREHOUSE_POOL,
    group_name="intraday",
    **ownership("intraday"),
    kinds={"duckdb"},
    metadata=INTRADAY_BARS.metadata(),
    code_version=INTRADAY_CODE_VERSION,
)
def intraday_bars(
    context: dg.AssetExecutionContext,
    config: IntradayBarsConfig,
    warehouse: WarehouseResource,
    bar_source: BarSource,
    intraday: IntradaySettings,
    paths: ProjectPaths,
) -> dg.MaterializeResult:
    """One row per symbol and candle (start stamp, IST) at the `intraday` resource's interval
    (SENSEQUANT_INTRADAY_INTERVAL, default 1minute), partitioned by month and symbol.

    Re-materializing a partition replaces its candles; an answer that would lose stored candles
    fails that partition unless the run sets `allow_shrink: true`. When the source's daily call
    budget is spent, the partitions fetched are written and shown materialized, the others are
    shown failed with a "paused" observation naming when they resume, and
    intraday_resume_sensor runs them again then, by itself.
    """
    keys = list(context.partition_keys)
    interval = intraday.interval
    snapshots = paths.snapshots_for(warehouse.local_file)
    run = store_intraday_bars(
        warehouse,
        bar_source,
        checked_month_symbols(keys),
        interval,
        snapshots,
        context.log,
        allow_shrink=config.allow_shrink,
    )
    fetched, outcome = run.fetched, run.outcome
    written = {
        month_symbol_key(*partition): intraday_metadata(result, interval, bar_source.name)
        for partition, result in outcome.written.items()
    }
    for line in run.warnings():
        context.log.warning(line)
    budget = bar_source.budget_state()
    if budget is not None:  # on the asset's Events tab: where the day's calls stand
        context.log_event(dg.AssetObservation(context.asset_key, metadata=budget_metadata(budget)))
    if not outcome.failed and not fetched.paused:
        for key, metadata in written.items():
            context.add_asset_metadata(metadata, partition_key=key)
        return dg.MaterializeResult()
    partitions_def = context.assets_def.partitions_def
    assert partitions_def is not None
    for key, metadata in written.items():  # one by one: the run's failure marks the rest failed
        tags = partition_tags(partitions_def.get_partition_key_from_str(key))
        context.log_event(
            dg.AssetMaterialization(context.asset_key, partition=key, metadata=metadata, tags=tags)
        )
    errors = run.errors()
    paused = paused_observations(fetched)
    for event in failed_partition_events(context, errors, run.kept(), paused):
        context.log_event(event)
    description = intraday_failure_description(errors, fetched, len(keys))
    raise partial_batch_error(list(written), errors, description, paused_metadata(fetched))
