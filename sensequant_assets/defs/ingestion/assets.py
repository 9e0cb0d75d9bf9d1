"""Ingestion: universe symbol -> ISEC mapping, then one symbol-year of daily bars per partition.

Both assets take many partitions per run (backfills chunk with multi_run), so a 100-symbol batch
pays process start-up a few times, not hundreds. Everything a partition needs is fetched before
the warehouse is opened for writing, and a run's partitions are written in one transaction. A
partition whose answer fails (a source error, or an answer that would lose stored sessions) fails
alone: the run writes the others, keeps its stored rows, and says which failed and why.
"""

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pandas as pd
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
from sensequant_assets.sources.base import BarSource, FetchResult, SymbolMapping
from sensequant_assets.sources.batch import (
    fetch_partitions,
    partial_batch_message,
    settle_partitions,
    stored_mappings,
)
from sensequant_assets.universe.partitions import (
    checked_symbol_years,
    checked_symbols,
    split_symbol_year,
    symbol_year_key,
)
from sensequant_assets.universe.reference import load_aliases, nse_ticker_for
from sensequant_assets.warehouse.lake import conflict_retries
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource
from sensequant_assets.warehouse.snapshots import publish_committed
from sensequant_assets.warehouse.storage import (
    bars_partition,
    bind_origin,
    read_mappings,
    replace_bars,
    replace_rows,
    stored_bar_dates,
    transaction,
)
from sensequant_assets.warehouse.tables import (
    BAR_PARTITIONS,
    DAILY_BARS,
    SYMBOL_MAPPING,
    WAREHOUSE_BINDING,
)
from sensequant_assets.warehouse.versions import bar_versions

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
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for attempt in conflict_retries():  # a DuckLake commit conflict: write afresh
        with attempt, warehouse.get_connection() as conn:
            with transaction(conn):
                for mapping in mappings:
                    replace_rows(
                        conn,
                        "symbol_mapping",
                        "symbol = ?",
                        [mapping.symbol],
                        _mapping_row(mapping, bar_source.name, now),
                    )
            changes = {SYMBOL_MAPPING: [()]}
            publish_committed(conn, paths.snapshots_for(warehouse.local_file), changes, context.log)
    for mapping in mappings:
        if not mapping.resolved:
            context.log.warning(f"{mapping.symbol}: mapping failed: {mapping.error}")
        context.add_asset_metadata(
            {
                "nse_ticker": mapping.nse_ticker,
                "isec_code": mapping.isec_code or "",
                "isec_token": mapping.isec_token or "",
                "company_name": mapping.company_name or "",
                "status": mapping.status,
                "error": mapping.error or "",
                "source": bar_source.name,
            },
            partition_key=mapping.symbol,
        )
    return dg.MaterializeResult()


def _mapping_row(mapping: SymbolMapping, source: str, now: dt.datetime) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "symbol": mapping.symbol,
                "nse_ticker": mapping.nse_ticker,
                "isec_code": mapping.isec_code,
                "isec_token": mapping.isec_token,
                "company_name": mapping.company_name,
                "status": mapping.status,
                "error": mapping.error,
                "source": source,
                "updated_at": now,
            }
        ]
    )


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

    Re-materializing a partition replaces its rows; a refresh may add sessions and correct
    values, but an answer that would lose stored sessions (empty, short, or shifted onto other
    dates) fails that partition and keeps its rows, unless the run sets `allow_shrink: true`
    (run config `ops: {daily_bars: {config: {allow_shrink: true}}}`). An answer is cached only
    once it is written, so a refused one is asked again on the next run, and `refetch: true`
    asks past the cache for closed years (a correction the source made to one).

    Each partition is materialized on its own, with the data version of the rows it now holds
    (warehouse/versions.py): a refresh that stores identical bars keeps the version, so nothing
    downstream reads unsynced and the teacher is not asked to rebuild; a corrected bar changes
    that partition's version alone.

    A run carries up to 100 partitions. One that cannot be fetched or would shrink fails alone:
    the others are written (one transaction) and shown materialized, the failed ones keep their
    rows, are shown failed with their error, and the step fails naming each of them, so a
    backfill's "Re-execute from failure" (or `sensequant retry`) re-runs exactly those. Their
    checks run in a follow-up run (`written_bars_checks_sensor`), since this run's check step
    is skipped once this step fails.
    """
    keys = list(context.partition_keys)
    wanted = checked_symbol_years(keys)
    provenance = input_provenance(context.instance, [symbol_mapping.key])
    with warehouse.get_connection() as conn:
        mappings = stored_mappings(read_mappings(conn, sorted({s for s, _ in wanted})))
    answers = fetch_partitions(bar_source, mappings, wanted, refetch=config.refetch)
    for attempt in conflict_retries():  # a DuckLake commit conflict: read and settle afresh
        with attempt, warehouse.get_connection() as conn:
            with transaction(conn, writes=[bars_partition(s, y) for s, y in wanted]):
                stored = stored_bar_dates(conn, wanted)
                outcome = settle_partitions(answers, stored, allow_shrink=config.allow_shrink)
                if outcome.written:
                    bind_origin(conn, bar_source.origin, warehouse.location)
                for (symbol, year), result in outcome.written.items():
                    replace_bars(conn, symbol, year, result.bars)
                versions = bar_versions(conn, sorted({symbol for symbol, _ in outcome.written}))
            if outcome.written:
                changes = {
                    DAILY_BARS: list(outcome.written),
                    BAR_PARTITIONS: [()],
                    WAREHOUSE_BINDING: [()],
                }
                snapshots = paths.snapshots_for(warehouse.local_file)
                publish_committed(conn, snapshots, changes, context.log)
    outcome.conclude()  # committed: cache what was written, forget what was refused
    for (symbol, year), result in outcome.written.items():
        key = symbol_year_key(symbol, year)
        metadata = bars_metadata(result, mappings.get(symbol), bar_source.name)
        if removed := outcome.removed.get((symbol, year)):
            metadata["dates_removed"] = len(removed)
            context.log.warning(f"{key}: allow_shrink removed {len(removed)} stored date(s)")
        if result.bars.empty:
            context.log.warning(f"{key}: no bars stored ({metadata['status']})")
        yield versioned_materialization(
            context.asset_key,
            key,
            metadata,
            versions[symbol, year],
            BARS_CODE_VERSION,
            provenance,
            tags=_tags(key),
        )
    if outcome.failed:
        errors = {symbol_year_key(*partition): error for partition, error in outcome.failed.items()}
        kept = {symbol_year_key(*p): len(stored[p]) for p in outcome.failed}
        yield from failed_partition_events(context, errors, kept)
        written = [symbol_year_key(*partition) for partition in outcome.written]
        raise partial_batch_error(written, errors, partial_batch_message(errors, len(keys)))
    yield reported_output()


def _tags(key: str) -> dict[str, str]:
    """The partition's per-dimension tags, as Dagster's own materializations carry them."""
    symbol, year = split_symbol_year(key)
    return partition_tags(dg.MultiPartitionKey({"symbol": symbol, "year": str(year)}))


def bars_metadata(
    result: FetchResult, mapping: SymbolMapping | None, source: str
) -> dict[str, object]:
    bars = result.bars
    if mapping is not None and not mapping.resolved:
        status = "unmapped"
    elif bars.empty:
        status = str(result.stats.get("note", "no rows"))
    else:
        status = "stored"
    metadata: dict[str, object] = {
        "dagster/row_count": len(bars),
        "status": status,
        "source": source,
        "sessions_present": len(bars),
        **{f"source_{k}": v for k, v in result.stats.items() if k != "note"},
    }
    if not bars.empty:
        metadata["first_date"] = bars["date"].min().date().isoformat()
        metadata["last_date"] = bars["date"].max().date().isoformat()
        preview = bars.head(5).assign(date=bars["date"].head(5).dt.date)
        metadata["preview"] = dg.MetadataValue.md(preview.to_markdown(index=False))
    return metadata
