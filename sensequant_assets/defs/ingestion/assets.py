"""Ingestion: universe symbol -> ISEC mapping, then one symbol-year of daily bars per partition.

Both assets take many partitions per run (backfills chunk with multi_run), so a 100-symbol batch
pays process start-up a few times, not hundreds. Everything a partition needs is fetched before
the warehouse is opened: a source failure in any partition fails the run before anything is
written, naming every failed partition, and the previous rows stay as they were.
"""

import datetime as dt
from collections.abc import Sequence

import dagster as dg
import pandas as pd

from sensequant_assets.defs.partitions import (
    BATCHED_BACKFILL,
    symbol_year_partitions,
    symbols_partitions,
)
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources.base import (
    BarSource,
    FetchResult,
    SymbolMapping,
)
from sensequant_assets.universe.partitions import split_symbol_year
from sensequant_assets.universe.reference import load_aliases, nse_ticker_for
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource
from sensequant_assets.warehouse.storage import (
    bind_origin,
    read_mappings,
    replace_bars,
    replace_rows,
    transaction,
)
from sensequant_assets.warehouse.tables import DAILY_BARS, SYMBOL_MAPPING


class SourceFetchError(RuntimeError):
    """One or more partitions could not be fetched; nothing from this run was written."""


@dg.asset(
    partitions_def=symbols_partitions,
    backfill_policy=BATCHED_BACKFILL,
    pool=WAREHOUSE_POOL,
    group_name="ingestion",
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
    aliases = load_aliases(paths.aliases_file)
    mappings = [bar_source.lookup(s, nse_ticker_for(s, aliases)) for s in context.partition_keys]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with warehouse.get_connection() as conn, transaction(conn):
        for mapping in mappings:
            replace_rows(
                conn,
                "symbol_mapping",
                "symbol = ?",
                [mapping.symbol],
                _mapping_row(mapping, bar_source.name, now),
            )
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


@dg.asset(
    partitions_def=symbol_year_partitions,
    deps=[
        dg.AssetDep(
            symbol_mapping,
            partition_mapping=dg.MultiToSingleDimensionPartitionMapping(
                partition_dimension_name="symbol"
            ),
        )
    ],
    backfill_policy=BATCHED_BACKFILL,
    pool=WAREHOUSE_POOL,
    group_name="ingestion",
    kinds={"duckdb"},
    metadata=DAILY_BARS.metadata(),
)
def daily_bars(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    bar_source: BarSource,
) -> dg.MaterializeResult:
    """One row per symbol and NSE session date: open, high, low, close, volume and source.

    Re-materializing a partition replaces exactly its rows; all partitions of a run are written
    in one transaction, so a failed run leaves every partition as it was.
    """
    keys = [split_symbol_year(key) for key in context.partition_keys]
    with warehouse.get_connection() as conn:
        mappings = _stored_mappings(read_mappings(conn, sorted({s for s, _ in keys})))
    results = fetch_partitions(bar_source, mappings, keys)
    with warehouse.get_connection() as conn, transaction(conn):
        bind_origin(conn, bar_source.origin, warehouse.database)
        for (symbol, year), result in zip(keys, results, strict=True):
            replace_bars(conn, symbol, year, result.bars)
    for key, (symbol, _), result in zip(context.partition_keys, keys, results, strict=True):
        metadata = bars_metadata(result, mappings.get(symbol), bar_source.name)
        context.add_asset_metadata(metadata, partition_key=key)
        if result.bars.empty:
            context.log.warning(f"{key}: no bars stored ({metadata['status']})")
    return dg.MaterializeResult()


def _stored_mappings(frame: pd.DataFrame) -> dict[str, SymbolMapping]:
    return {
        row.symbol: SymbolMapping(
            row.symbol,
            row.nse_ticker,
            row.isec_code,
            row.isec_token,
            row.company_name,
            row.status,
            row.error,
        )
        for row in frame.itertuples()
    }


def fetch_partitions(
    source: BarSource, mappings: dict[str, SymbolMapping], keys: Sequence[tuple[str, int]]
) -> list[FetchResult]:
    """Fetch every (symbol, year), each symbol's years in one request where the source can;
    raise once, naming each partition that failed and why."""
    years_by_symbol: dict[str, list[int]] = {}
    for symbol, year in keys:
        years_by_symbol.setdefault(symbol, []).append(year)
    answers: dict[tuple[str, int], FetchResult | Exception] = {}
    for symbol, years in years_by_symbol.items():
        mapping = mappings.get(symbol)
        if mapping is None:
            missing = LookupError(
                f"symbol_mapping[{symbol}] has not been materialized; materialize it first "
                "(a backfill does this in order)"
            )
            answers.update({(symbol, year): missing for year in years})
        elif not mapping.resolved:
            unmapped = FetchResult(pd.DataFrame(), {"note": f"unmapped: {mapping.error}"})
            answers.update({(symbol, year): unmapped for year in years})
        else:
            for year, answer in source.fetch_years(mapping, years).items():
                answers[symbol, year] = answer
    failures = [
        f"{symbol}|{year}: {type(answer).__name__}: {answer}"
        for (symbol, year), answer in answers.items()
        if isinstance(answer, Exception)
    ]
    if failures:
        raise SourceFetchError(
            f"{len(failures)} of {len(keys)} partitions could not be fetched from the "
            f"{source.name} source; nothing from this run was written:\n  " + "\n  ".join(failures)
        )
    return [answer for key in keys if isinstance(answer := answers[key], FetchResult)]


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
