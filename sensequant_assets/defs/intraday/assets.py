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

import datetime as dt

import dagster as dg
from pydantic import Field

from sensequant_assets.dagster_internals import partition_tags
from sensequant_assets.defs.batches import failed_partition_events, partial_batch_error
from sensequant_assets.defs.keys import SYMBOL_MAPPING
from sensequant_assets.defs.owners import ownership
from sensequant_assets.defs.partitions import BATCHED_BACKFILL, BY_SYMBOL, symbol_month_partitions
from sensequant_assets.market.calendar import IST
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources.base import BarSource, FetchResult
from sensequant_assets.sources.batch import (
    partial_batch_message,
    settle_partitions,
    stored_mappings,
)
from sensequant_assets.sources.breeze.limiter import BudgetState
from sensequant_assets.sources.intraday_batch import (
    CANDLE_STAMPS,
    IntradayFetch,
    IntradaySettings,
    fetch_intraday_partitions,
)
from sensequant_assets.universe.partitions import checked_month_symbols, month_symbol_key
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource
from sensequant_assets.warehouse.snapshots import publish_committed
from sensequant_assets.warehouse.storage import (
    bind_origin,
    intraday_partition,
    read_intraday_partitions,
    read_mappings,
    replace_intraday,
    transaction,
)
from sensequant_assets.warehouse.tables import INTRADAY_BARS, WAREHOUSE_BINDING

# Bump when what an intraday_bars row holds for the same answer changes.
INTRADAY_CODE_VERSION = "intraday-1"

# Step-failure metadata of a run that met the daily budget, and observation metadata of each
# partition it paused: what intraday_resume_sensor reads.
PAUSED_PARTITIONS = "paused_partitions"
RESUME_AT = "resume_at"
PAUSED_STATUS = "paused: daily call budget spent"


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
    wanted = checked_month_symbols(keys)
    interval = intraday.interval
    with warehouse.get_connection() as conn:
        mappings = stored_mappings(read_mappings(conn, sorted({s for s, _ in wanted})))
    fetched = fetch_intraday_partitions(bar_source, mappings, wanted, interval)
    writes = [intraday_partition(symbol, month, interval) for symbol, month in fetched.answers]
    with warehouse.get_connection() as conn:
        with transaction(conn, writes=writes):
            stored = {
                partition: set(frame["ts"])
                for partition, frame in read_intraday_partitions(
                    conn, list(fetched.answers), interval
                ).items()
            }
            outcome = settle_partitions(fetched.answers, stored, config.allow_shrink, CANDLE_STAMPS)
            if outcome.written:
                bind_origin(conn, bar_source.origin, warehouse.location)
            for (symbol, month), result in outcome.written.items():
                replace_intraday(conn, symbol, month, interval, bar_source.name, result.bars)
        outcome.conclude()  # committed: a refused month's cached pages are forgotten
        if outcome.written:  # committed: the snapshots notebooks read follow
            changes = {
                INTRADAY_BARS: [
                    (symbol, interval, f"{month:%Y-%m}") for symbol, month in outcome.written
                ],
                WAREHOUSE_BINDING: [()],
            }
            publish_committed(conn, paths.snapshots_for(warehouse.local_file), changes, context.log)
    written = {
        month_symbol_key(*partition): intraday_metadata(result, interval, bar_source.name)
        for partition, result in outcome.written.items()
    }
    for partition, removed in outcome.removed.items():
        context.log.warning(
            f"{month_symbol_key(*partition)}: allow_shrink removed {len(removed)} stored candle(s)"
        )
    budget = bar_source.budget_state()
    if budget is not None:  # on the asset's Events tab: where the day's calls stand
        context.log_event(dg.AssetObservation(context.asset_key, metadata=budget_metadata(budget)))
    if not outcome.failed and not fetched.paused:
        for key, metadata in written.items():
            context.add_asset_metadata(metadata, partition_key=key)
        return dg.MaterializeResult()
    errors = {month_symbol_key(*partition): error for partition, error in outcome.failed.items()}
    partitions_def = context.assets_def.partitions_def
    assert partitions_def is not None
    for key, metadata in written.items():  # one by one: the run's failure marks the rest failed
        tags = partition_tags(partitions_def.get_partition_key_from_str(key))
        context.log_event(
            dg.AssetMaterialization(context.asset_key, partition=key, metadata=metadata, tags=tags)
        )
    kept = {month_symbol_key(*partition): len(stored[partition]) for partition in outcome.failed}
    for event in failed_partition_events(context, errors, kept, _paused_observations(fetched)):
        context.log_event(event)
    raise partial_batch_error(
        list(written),
        errors,
        _failure_description(errors, fetched, len(keys)),
        _paused_metadata(fetched),
    )


def intraday_metadata(result: FetchResult, interval: str, source: str) -> dict[str, object]:
    bars = result.bars
    metadata: dict[str, object] = {
        "dagster/row_count": len(bars),
        "interval": interval,
        "source": source,
        "status": "stored" if not bars.empty else str(result.stats.get("note", "no candles")),
    }
    if not bars.empty:
        metadata["sessions"] = int(bars["ts"].dt.date.nunique())
        metadata["first_candle"] = f"{bars['ts'].min():%Y-%m-%d %H:%M}"
        metadata["last_candle"] = f"{bars['ts'].max():%Y-%m-%d %H:%M}"
    return metadata


def budget_metadata(budget: BudgetState) -> dict[str, object]:
    return {
        "budget": str(budget),
        "calls_used": budget.used,
        "calls_cap": budget.cap,
        "calls_reserved_for_daily": budget.reserved,
        "calls_left_for_intraday": budget.left_for_intraday,
        "intraday_resumes_at": _resume_text(budget.resume_at) if budget.resume_at else "now",
    }


def _resume_text(resume_at: dt.datetime | None) -> str:
    return f"{resume_at.astimezone(IST):%Y-%m-%d %H:%M} IST" if resume_at else "unknown"


def _failure_description(errors: dict[str, str], fetched: IntradayFetch, total: int) -> str:
    parts = []
    if fetched.paused:
        parts.append(
            f"{len(fetched.paused)} of {total} intraday_bars partitions paused: the daily call "
            f"budget is spent ({fetched.budget_message}). They resume by themselves at "
            f"{_resume_text(fetched.resume_at)} (intraday_resume_sensor); the pages already "
            "fetched are cached and are not asked again."
        )
    if errors:
        parts.append(partial_batch_message(errors, total, asset="intraday_bars"))
    return "\n".join(parts)


def _paused_observations(fetched: IntradayFetch) -> dict[str, dict[str, object]]:
    resume_at = fetched.resume_at.isoformat() if fetched.resume_at else ""
    return {
        month_symbol_key(*partition): {
            "status": PAUSED_STATUS,
            RESUME_AT: resume_at,
            "resumes": f"by itself at {_resume_text(fetched.resume_at)} (intraday_resume_sensor)",
        }
        for partition in fetched.paused
    }


def _paused_metadata(fetched: IntradayFetch) -> dict[str, object]:
    if not fetched.paused:
        return {}
    return {
        PAUSED_PARTITIONS: dg.MetadataValue.json(
            [month_symbol_key(*partition) for partition in fetched.paused]
        ),
        RESUME_AT: fetched.resume_at.isoformat() if fetched.resume_at else "",
    }
