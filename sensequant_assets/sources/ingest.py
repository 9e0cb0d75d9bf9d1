"""A bars run's flow, from the partition keys to committed rows: read the mappings, fetch every
partition before the warehouse is opened for writing, settle the answers against the stored rows
(never-shrink), write the settled ones in one transaction, publish the snapshots, and tell the
source which answers were kept. `daily_bars` and `intraday_bars` (defs/) wire resources to these
functions and turn their results into materializations; the rules that decide are in
`sources/batch.py` and `sources/intraday_batch.py`, what each partition shows here.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sensequant_assets.market.calendar import IST
from sensequant_assets.sources.base import BarSource, FetchResult, SymbolMapping
from sensequant_assets.sources.budget import BudgetState
from sensequant_assets.sources.daily_batch import fetch_partitions, stored_mappings
from sensequant_assets.sources.intraday_batch import (
    CANDLE_STAMPS,
    IntradayFetch,
    IntradayKey,
    fetch_intraday_partitions,
)
from sensequant_assets.sources.write_policy import (
    BatchOutcome,
    partial_batch_message,
    settle_partitions,
)
from sensequant_assets.universe.partitions import month_symbol_key
from sensequant_assets.warehouse.lake import conflict_retries
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.snapshots import publish_committed
from sensequant_assets.warehouse.storage import (
    bars_partition,
    bind_origin,
    intraday_partition,
    read_intraday_partitions,
    read_mappings,
    replace_bars,
    replace_intraday,
    replace_rows,
    stored_bar_dates,
    transaction,
)
from sensequant_assets.warehouse.tables import (
    BAR_PARTITIONS,
    DAILY_BARS,
    INTRADAY_BARS,
    SYMBOL_MAPPING,
    WAREHOUSE_BINDING,
)
from sensequant_assets.warehouse.versions import bar_versions

SymbolYear = tuple[str, int]

PAUSED_PARTITIONS = "paused_partitions"
"""Step-failure metadata of an intraday run that met the daily budget: the partitions it paused."""
RESUME_AT = "resume_at"
"""Metadata of each paused partition (and of the step's failure): when it resumes."""
PAUSED_STATUS = "paused: daily call budget spent"
"""Status of a paused partition's observation: what intraday_resume_sensor looks for."""


def store_mappings(
    warehouse: WarehouseResource,
    source: BarSource,
    mappings: list[SymbolMapping],
    snapshots: Path | None,
    log: logging.Logger,
) -> None:
    """Replace each symbol's stored mapping (failed lookups included, with their error) in one
    transaction, and publish the table's snapshot."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for attempt in conflict_retries():  # a DuckLake commit conflict: write afresh
        with attempt, warehouse.get_connection() as conn:
            with transaction(conn):
                for mapping in mappings:
                    row = mapping_row(mapping, source.name, now)
                    replace_rows(conn, "symbol_mapping", "symbol = ?", [mapping.symbol], row)
            publish_committed(conn, snapshots, {SYMBOL_MAPPING: [()]}, log)


def mapping_row(mapping: SymbolMapping, source: str, now: dt.datetime) -> pd.DataFrame:
    """The symbol_mapping row of one lookup."""
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


def mapping_metadata(mapping: SymbolMapping, source: str) -> dict[str, object]:
    """What a symbol_mapping partition shows."""
    return {
        "nse_ticker": mapping.nse_ticker,
        "isec_code": mapping.isec_code or "",
        "isec_token": mapping.isec_token or "",
        "company_name": mapping.company_name or "",
        "status": mapping.status,
        "error": mapping.error or "",
        "source": source,
    }


@dataclass(frozen=True)
class DailyBarsRun:
    """What a daily_bars run committed: the settled outcome, the rows each failed partition
    kept, each written partition's data version, and the mappings it fetched with."""

    outcome: BatchOutcome[SymbolYear]
    stored: dict[SymbolYear, set]
    versions: dict[SymbolYear, str]
    mappings: dict[str, SymbolMapping]


def store_daily_bars(
    warehouse: WarehouseResource,
    source: BarSource,
    wanted: list[SymbolYear],
    snapshots: Path | None,
    log: logging.Logger,
    *,
    allow_shrink: bool = False,
    refetch: bool = False,
) -> DailyBarsRun:
    """Fetch every wanted symbol-year, then write those whose answer may be written (one
    transaction, retried afresh on a DuckLake commit conflict), publish them, and tell the source
    which answers were kept (cached) and which refused (forgotten)."""
    with warehouse.get_connection() as conn:
        mappings = stored_mappings(read_mappings(conn, sorted({s for s, _ in wanted})))
    answers = fetch_partitions(source, mappings, wanted, refetch=refetch)
    for attempt in conflict_retries():  # a DuckLake commit conflict: read and settle afresh
        with attempt, warehouse.get_connection() as conn:
            with transaction(conn, writes=[bars_partition(s, y) for s, y in wanted]):
                stored = stored_bar_dates(conn, wanted)
                outcome = settle_partitions(answers, stored, allow_shrink=allow_shrink)
                if outcome.written:
                    bind_origin(conn, source.origin, warehouse.location)
                for (symbol, year), result in outcome.written.items():
                    replace_bars(conn, symbol, year, result.bars)
                versions = bar_versions(conn, sorted({symbol for symbol, _ in outcome.written}))
            if outcome.written:
                changes = {
                    DAILY_BARS: list(outcome.written),
                    BAR_PARTITIONS: [()],
                    WAREHOUSE_BINDING: [()],
                }
                publish_committed(conn, snapshots, changes, log)
    outcome.conclude()  # committed: cache what was written, forget what was refused
    return DailyBarsRun(outcome, stored, versions, mappings)


def bars_metadata(
    result: FetchResult, mapping: SymbolMapping | None, source: str
) -> dict[str, object]:
    """What a daily_bars partition shows: rows, status (stored, unmapped, or the source's note),
    the source's statistics and the dates it spans (its preview is `bars_preview`)."""
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
    return metadata


def bars_preview(bars: pd.DataFrame) -> str:
    """The first five bars as a Markdown table, dates without times."""
    preview = bars.head(5).assign(date=bars["date"].head(5).dt.date)
    return preview.to_markdown(index=False)


@dataclass(frozen=True)
class IntradayBarsRun:
    """What an intraday_bars run committed: what it fetched and paused, the settled outcome,
    and the candles each partition held before."""

    fetched: IntradayFetch
    outcome: BatchOutcome[IntradayKey]
    stored: dict[IntradayKey, set]

    def errors(self) -> dict[str, str]:
        """Each failed partition's key and why it failed."""
        return {month_symbol_key(*p): error for p, error in self.outcome.failed.items()}

    def kept(self) -> dict[str, int]:
        """Each failed partition's key and the stored candles it kept."""
        return {month_symbol_key(*p): len(self.stored[p]) for p in self.outcome.failed}

    def warnings(self) -> list[str]:
        """A line per partition whose stored candles `allow_shrink` removed."""
        return [
            f"{month_symbol_key(*p)}: allow_shrink removed {len(removed)} stored candle(s)"
            for p, removed in self.outcome.removed.items()
        ]


def store_intraday_bars(
    warehouse: WarehouseResource,
    source: BarSource,
    wanted: list[IntradayKey],
    interval: str,
    snapshots: Path | None,
    log: logging.Logger,
    *,
    allow_shrink: bool = False,
) -> IntradayBarsRun:
    """Fetch the wanted symbol-months until the daily budget ends, write those whose answer may
    be written (one transaction), tell the source which were kept, and publish them."""
    with warehouse.get_connection() as conn:
        mappings = stored_mappings(read_mappings(conn, sorted({s for s, _ in wanted})))
    fetched = fetch_intraday_partitions(source, mappings, wanted, interval)
    writes = [intraday_partition(symbol, month, interval) for symbol, month in fetched.answers]
    with warehouse.get_connection() as conn:
        with transaction(conn, writes=writes):
            stored = {
                partition: set(frame["ts"])
                for partition, frame in read_intraday_partitions(
                    conn, list(fetched.answers), interval
                ).items()
            }
            outcome = settle_partitions(fetched.answers, stored, allow_shrink, CANDLE_STAMPS)
            if outcome.written:
                bind_origin(conn, source.origin, warehouse.location)
            for (symbol, month), result in outcome.written.items():
                replace_intraday(conn, symbol, month, interval, source.name, result.bars)
        outcome.conclude()  # committed: a refused month's cached pages are forgotten
        if outcome.written:  # committed: the snapshots notebooks read follow
            changes = {
                INTRADAY_BARS: [
                    (symbol, interval, f"{month:%Y-%m}") for symbol, month in outcome.written
                ],
                WAREHOUSE_BINDING: [()],
            }
            publish_committed(conn, snapshots, changes, log)
    return IntradayBarsRun(fetched, outcome, stored)


def intraday_metadata(result: FetchResult, interval: str, source: str) -> dict[str, object]:
    """What an intraday_bars partition shows: candles, sessions and the first and last one."""
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
    """Where the day's calls stand, for the asset's Events tab."""
    return {
        "budget": str(budget),
        "calls_used": budget.used,
        "calls_cap": budget.cap,
        "calls_reserved_for_daily": budget.reserved,
        "calls_left_for_intraday": budget.left_for_intraday,
        "intraday_resumes_at": resume_text(budget.resume_at) if budget.resume_at else "now",
    }


def resume_text(resume_at: dt.datetime | None) -> str:
    """When paused partitions resume, in IST."""
    return f"{resume_at.astimezone(IST):%Y-%m-%d %H:%M} IST" if resume_at else "unknown"


def intraday_failure_description(errors: dict[str, str], fetched: IntradayFetch, total: int) -> str:
    """The failed step's description: what paused and when it resumes, then what failed."""
    parts = []
    if fetched.paused:
        parts.append(
            f"{len(fetched.paused)} of {total} intraday_bars partitions paused: the daily call "
            f"budget is spent ({fetched.budget_message}). They resume by themselves at "
            f"{resume_text(fetched.resume_at)} (intraday_resume_sensor); the pages already "
            "fetched are cached and are not asked again."
        )
    if errors:
        parts.append(partial_batch_message(errors, total, asset="intraday_bars"))
    return "\n".join(parts)


def paused_metadata(fetched: IntradayFetch) -> dict[str, object]:
    """The failed step's metadata for what it paused: the partitions (a JSON list) and when they
    resume; nothing when none paused."""
    if not fetched.paused:
        return {}
    return {
        PAUSED_PARTITIONS: [month_symbol_key(*partition) for partition in fetched.paused],
        RESUME_AT: fetched.resume_at.isoformat() if fetched.resume_at else "",
    }


def paused_observations(fetched: IntradayFetch) -> dict[str, dict[str, object]]:
    """Per paused partition (its key), the metadata of its "paused" observation."""
    resume_at = fetched.resume_at.isoformat() if fetched.resume_at else ""
    return {
        month_symbol_key(*partition): {
            "status": PAUSED_STATUS,
            RESUME_AT: resume_at,
            "resumes": f"by itself at {resume_text(fetched.resume_at)} (intraday_resume_sensor)",
        }
        for partition in fetched.paused
    }
