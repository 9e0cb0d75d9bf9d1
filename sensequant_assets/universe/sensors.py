"""Dropping a constituent list into the folder is how a user adds a batch.

The sensor is RUNNING by default: the folder is the universe, and a user who drops a file expects
its symbols as partitions and their data without a second step. On a fresh instance the first
tick therefore takes up every list already in the folder (point SENSEQUANT_CONSTITUENTS_DIR
elsewhere, or stop the sensor in Dagit, to avoid that).

Each new or changed list becomes ONE asset backfill (mapping, bars for every year and their
checks, labels, models, the coverage report) for the symbols that are not partitions yet: the
backfill daemon orders the levels and batches partitions by the assets' backfill policies, so a
100-symbol list costs a few runs, not hundreds. A symbol is requested once, when it becomes a
partition, so the same file dropped again, or a second list sharing symbols, launches nothing
twice; removing a symbol from a list deletes nothing. Failed partitions are retried from the
backfill's page in Dagit.

The cursor maps each list file name to the SHA-256 of its bytes, so it survives restarts and
unchanged files cost one hash per tick.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset

from sensequant_assets.paths import constituents_dir
from sensequant_assets.universe.constituents import (
    ConstituentListError,
    list_files,
    read_constituent_file,
)
from sensequant_assets.universe.partitions import (
    BATCH_TAG,
    symbol_year_key,
    symbol_year_partitions,
    symbols_partitions,
    years_partitions,
)

SYMBOL_ASSETS = (
    dg.AssetKey("symbol_mapping"),
    dg.AssetKey("teacher_labels"),
    dg.AssetKey("teacher_model"),
)
SYMBOL_YEAR_ASSETS = (dg.AssetKey("daily_bars"),)
UNPARTITIONED_ASSETS = (dg.AssetKey("coverage_report"),)
BATCH_ASSETS = (*SYMBOL_ASSETS, *SYMBOL_YEAR_ASSETS, *UNPARTITIONED_ASSETS)


@dataclass(frozen=True)
class Batch:
    """A new or changed list: its name (the file stem) and the symbols it makes new partitions."""

    name: str
    new_symbols: tuple[str, ...]


@dataclass
class TickPlan:
    cursor: dict[str, str]
    batches: list[Batch] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def new_symbols(self) -> list[str]:
        return [symbol for batch in self.batches for symbol in batch.new_symbols]


def parse_cursor(cursor: str | None) -> dict[str, str]:
    """The stored {file name: sha256}; an unreadable cursor is an error, never a silent reset."""
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"constituent_lists_sensor cursor is not JSON ({exc}); reset it in Dagit "
            "(sensor page, 'Set cursor value') to {} to re-read every list."
        ) from exc
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError("constituent_lists_sensor cursor must be a JSON object of file -> hash")
    return value


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plan_tick(directory: Path, seen: dict[str, str], known_symbols: Iterable[str]) -> TickPlan:
    """What one tick does: which lists changed, which symbols they make new, what was wrong.

    Files are taken in name order; a symbol listed by several changed files belongs to the first.
    An unreadable file is recorded as seen (reported once, by the tick that found it) and read
    again when its bytes change.
    """
    plan = TickPlan(cursor=dict(seen))
    if not directory.is_dir():
        plan.problems.append(
            f"{directory}: constituent list folder does not exist; create it or set "
            "SENSEQUANT_CONSTITUENTS_DIR"
        )
        return plan
    claimed = set(known_symbols)
    for path in list_files(directory):
        try:
            digest = file_digest(path)
        except OSError as exc:
            plan.problems.append(f"{path}: cannot be read ({exc.strerror})")
            continue
        if seen.get(path.name) == digest:
            continue
        plan.cursor[path.name] = digest
        try:
            constituents = read_constituent_file(path)
        except ConstituentListError as exc:
            plan.problems.append(f"{exc}; fix the file and the next tick reads it again")
            continue
        plan.problems.extend(f"skipped bad line {bad}" for bad in constituents.bad_lines)
        new = tuple(s for s in constituents.symbols if s not in claimed)
        claimed.update(new)
        plan.batches.append(Batch(constituents.batch, new))
    return plan


def batch_subset(symbols: Sequence[str], years: Sequence[str]) -> AssetGraphSubset:
    """Every asset partition a batch needs: the per-symbol assets, each symbol's bars for every
    year (their checks run with them), and the coverage report."""
    by_symbol = symbols_partitions.empty_subset().with_partition_keys(symbols)
    by_symbol_year = symbol_year_partitions.empty_subset().with_partition_keys(
        [symbol_year_key(symbol, int(year)) for symbol in symbols for year in years]
    )
    return AssetGraphSubset(
        partitions_subsets_by_asset_key={
            **dict.fromkeys(SYMBOL_ASSETS, by_symbol),
            **dict.fromkeys(SYMBOL_YEAR_ASSETS, by_symbol_year),
        }
        if symbols
        else {},
        non_partitioned_asset_keys=set(UNPARTITIONED_ASSETS),
    )


def batch_request(batch: Batch, years: Sequence[str]) -> dg.RunRequest:
    """One asset backfill (not a run) for the batch, launched by the daemon, tagged for Dagit."""
    return dg.RunRequest.for_asset_graph_subset(
        batch_subset(batch.new_symbols, years), tags={BATCH_TAG: batch.name}
    )


@dg.sensor(
    name="constituent_lists_sensor",
    asset_selection=dg.AssetSelection.keys(*BATCH_ASSETS),
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Turns each new or changed constituent list (*.txt in SENSEQUANT_CONSTITUENTS_DIR, "
        "default data/constituents) into symbol partitions and one backfill tagged "
        f"{BATCH_TAG}=<list name>."
    ),
)
def constituent_lists_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    directory = constituents_dir()
    known = context.instance.get_dynamic_partitions(symbols_partitions.name)
    plan = plan_tick(directory, parse_cursor(context.cursor), known)
    for problem in plan.problems:
        context.log.warning(problem)
    years = years_partitions.get_partition_keys()
    for batch in plan.batches:
        context.log.info(
            f"{batch.name}: {len(batch.new_symbols)} new symbol(s), backfill requested"
        )
    new = plan.new_symbols
    return dg.SensorResult(
        run_requests=[batch_request(batch, years) for batch in plan.batches],
        dynamic_partitions_requests=[symbols_partitions.build_add_request(new)] if new else [],
        cursor=json.dumps(plan.cursor, sort_keys=True),
        skip_reason=None if plan.batches else _skip_reason(directory, plan.problems),
    )


def _skip_reason(directory: Path, problems: Sequence[str]) -> str:
    if problems:
        return f"{len(problems)} problem(s) in {directory}: " + " | ".join(problems)
    return f"no new or changed constituent lists in {directory}"
