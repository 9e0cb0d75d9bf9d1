"""Ingestion: universe symbol -> ISEC mapping, then one symbol-year of daily bars per partition.

Both assets take many partitions per run (backfills chunk with multi_run), so a 100-symbol batch
pays process start-up a few times, not hundreds. Everything a partition needs is fetched before
the warehouse is opened for writing, and a run's partitions are written in one transaction. A
partition whose answer fails (a source error, or an answer that would lose stored sessions) fails
alone: the run writes the others, keeps its stored rows, and says which failed and why.
"""

from collections.abc import Iterator

import dagster as dg
from pydantic import Field

from sensequant_assets.dagster_internals import (
    input_provenance,
    partition_tags,
    reported_output,
    versioned_materialization,
)
from sensequant_assets.defs.batches import failed_partition_events, partial_batch_error
from sensequant_assets.defs.owners import ownership
from sensequant_assets.defs.partitions import (
    BATCHED_BACKFILL,
    BY_SYMBOL,
    symbol_year_partitions,
    symbols_partitions,
)
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources.base import BarSource
from sensequant_assets.sources.ingest import (
    bars_metadata,
    bars_preview,
    mapping_metadata,
    store_daily_bars,
    store_mappings,
)
from sensequant_assets.sources.write_policy import partial_batch_message
from sensequant_assets.universe.partitions import (
    checked_symbol_years,
    checked_symbols,
    symbol_year_key,
)
from sensequant_assets.universe.reference import load_aliases, nse_ticker_for
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource
from sensequant_assets.warehouse.tables import DAILY_BARS, SYMBOL_MAPPING

# Bump when what a daily_bars row holds for the same answer changes (conform_bars, the table):
# Dagster then shows every partition, and everything downstream, unsynced.
BARS_CODE_VERSION = "bars-1"


@dg.asset(
    partitions_def=symbols_partitions,
    backfill_policy=BATCHED_BACKFILL,
    pool=WAREHOUSE_POOL,
    group_name="ingestion",
    **ownership("ingestion"),
    kinds={"duckdb"},
    metadata=SYMBOL_MAPPING.metadata(),
)
def symbol_mapping(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    bar_source: BarSource,
    paths: ProjectPaths,
) -> dg.MaterializeResult:
    """Universe symbol -> NSE ticker (through data/reference/aliases.csv) -> ISEC code.

    A failed lookup is stored as failed with the source's error; it never falls back to the
    NSE symbol as the ISEC code (the original did, and fetched nothing for it).
    """
    symbols = checked_symbols(context.partition_keys)
    aliases = load_aliases(paths.aliases_file)
    mappings = [bar_source.lookup(s, nse_ticker_for(s, aliases)) for s in symbols]
    snapshots = paths.snapshots_for(warehouse.local_file)
    store_mappings(warehouse, bar_source, mappings, snapshots, context.log)
    for mapping in mappings:
        if not mapping.resolved:
            context.log.warning(f"{mapping.symbol}: mapping failed: {mapping.error}")
        metadata = mapping_metadata(mapping, bar_source.name)
        context.add_asset_metadata(metadata, partition_key=mapping.symbol)
    return dg.MaterializeResult()


class DailyBarsConfig(dg.Config):
    """Run config of daily_bars: the one way to let a refresh delete stored sessions."""

    allow_shrink: bool = Field(
        default=False,
        description=(
            "Replace a partition's stored bars even where the source now answers fewer sessions, "
            "none, or other dates; the stored dates missing from the answer are deleted. Off "
            "(the default), such a partition fails and keeps its stored rows."
        ),
    )
    refetch: bool = Field(
        default=False,
        description=(
            "Ask the source again for closed years it already answered, past its cache, so that "
            "a correction the source made to a closed year arrives; the new answer is checked "
            "(never-shrink) and cached like any other."
        ),
    )


@dg.asset(
    partitions_def=symbol_year_partitions,
    deps=[dg.AssetDep(symbol_mapping, partition_mapping=BY_SYMBOL)],
    backfill_policy=BATCHED_BACKFILL,
    pool=WAREHOUSE_POOL,
    group_name="ingestion",
    **ownership("ingestion"),
    kinds={"duckdb"},
    metadata=DAILY_BARS.metadata(),
    code_version=BARS_CODE_VERSION,
    dagster_type=dg.Nothing,
)
def daily_bars(
    context: dg.AssetExecutionContext,
    config: DailyBarsConfig,
    warehouse: WarehouseResource,
    bar_source: BarSource,
    paths: ProjectPaths,
) -> Iterator[dg.AssetMaterialization | dg.AssetObservation | dg.Output]:
    """One row per symbol and NSE session date: open, high, low, close, volume and source.

    A refresh may add sessions and correct values, never lose stored ones unless the run sets
    `allow_shrink: true`; an answer is cached only once written, and `refetch: true` asks past
    the cache for a closed year. Each partition gets the data version of the rows it holds, so a
    refresh that stores identical bars leaves the teacher alone. A partition that cannot be
    fetched or would shrink fails alone: the others are written and checked in a follow-up run
    (`written_bars_checks_sensor`); docs/data.md, "One bad partition never costs a batch".
    """
    keys = list(context.partition_keys)
    wanted = checked_symbol_years(keys)
    provenance = input_provenance(context.instance, [symbol_mapping.key])
    snapshots = paths.snapshots_for(warehouse.local_file)
    run = store_daily_bars(
        warehouse,
        bar_source,
        wanted,
        snapshots,
        context.log,
        allow_shrink=config.allow_shrink,
        refetch=config.refetch,
    )
    outcome = run.outcome
    for (symbol, year), result in outcome.written.items():
        key = symbol_year_key(symbol, year)
        metadata = bars_metadata(result, run.mappings.get(symbol), bar_source.name)
        if not result.bars.empty:
            metadata["preview"] = dg.MetadataValue.md(bars_preview(result.bars))
        if removed := outcome.removed.get((symbol, year)):
            metadata["dates_removed"] = len(removed)
            context.log.warning(f"{key}: allow_shrink removed {len(removed)} stored date(s)")
        if result.bars.empty:
            context.log.warning(f"{key}: no bars stored ({metadata['status']})")
        tags = partition_tags(dg.MultiPartitionKey({"symbol": symbol, "year": str(year)}))
        version = run.versions[symbol, year]
        yield versioned_materialization(
            context.asset_key, key, metadata, version, BARS_CODE_VERSION, provenance, tags=tags
        )
    if outcome.failed:
        errors = {symbol_year_key(*partition): error for partition, error in outcome.failed.items()}
        kept = {symbol_year_key(*p): len(run.stored[p]) for p in outcome.failed}
        yield from failed_partition_events(context, errors, kept)
        written = [symbol_year_key(*partition) for partition in outcome.written]
        raise partial_batch_error(written, errors, partial_batch_message(errors, len(keys)))
    yield reported_output()
