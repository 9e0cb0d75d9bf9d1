"""Dropping a constituent list into the folder is how a user adds a batch.

The sensor is RUNNING by default: the folder is the universe, and a user who drops a file expects
its symbols as partitions and their data without a second step. On a fresh instance the first
tick therefore takes up every list already in the folder: the demo profile's holds the shipped
lists; the live profile's (`data/live/constituents/`) starts empty, so a live start fetches
nothing until the user puts a list there, and until then each tick says it waits for one.

Each new or changed list becomes ONE asset backfill (mapping, bars for every year and their
checks, labels, models, the index membership, the universe model and the coverage report) for
the symbols that are not partitions yet: the backfill daemon orders the levels and batches
partitions by the assets' backfill policies, so a 100-symbol list costs a few runs, not
hundreds. A symbol is requested once, when it becomes a partition, so the same file dropped
again, or a second list sharing symbols, launches nothing twice; removing a symbol from a list
deletes nothing. A changed list that makes no symbol new only refreshes the coverage report,
which reads the lists: training the universe model again would teach it nothing new, and on
symbols whose labels another backfill is still building it would fail. Failed partitions are
retried from the backfill's page in the UI.
"""

import json
from collections.abc import Sequence

import dagster as dg

from sensequant_assets.dagster_internals import backfill_request
from sensequant_assets.defs.keys import (
    CORPORATE_ACTIONS,
    COVERAGE_REPORT,
    DAILY_BARS,
    SYMBOL_MAPPING,
    TEACHER_LABELS,
    TEACHER_MODEL,
    TEACHER_UNIVERSE_MODEL,
    UNIVERSE_MEMBERSHIP,
)
from sensequant_assets.defs.partitions import (
    symbol_year_partitions,
    symbols_partitions,
    years_partitions,
)
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.universe.batches import Batch, parse_cursor, plan_tick, skip_reason
from sensequant_assets.universe.partitions import BATCH_TAG, symbol_year_key

SYMBOL_ASSETS = (SYMBOL_MAPPING, TEACHER_LABELS, TEACHER_MODEL)
SYMBOL_YEAR_ASSETS = (DAILY_BARS,)
UNPARTITIONED_ASSETS = (
    CORPORATE_ACTIONS,
    UNIVERSE_MEMBERSHIP,
    COVERAGE_REPORT,
    TEACHER_UNIVERSE_MODEL,
)
BATCH_ASSETS = (*SYMBOL_ASSETS, *SYMBOL_YEAR_ASSETS, *UNPARTITIONED_ASSETS)


def batch_request(batch: Batch, years: Sequence[str]) -> dg.RunRequest:
    """One asset backfill (not a run) for the batch, launched by the daemon, tagged for the UI:
    the per-symbol assets, each symbol's bars for every year (their checks run with them), and
    the coverage report and the index membership; a batch that makes no symbol new refreshes
    the report alone."""
    symbols = batch.new_symbols
    if not symbols:
        return backfill_request({}, {COVERAGE_REPORT}, {BATCH_TAG: batch.name})
    by_symbol = symbols_partitions.empty_subset().with_partition_keys(symbols)
    by_symbol_year = symbol_year_partitions.empty_subset().with_partition_keys(
        [symbol_year_key(symbol, int(year)) for symbol in symbols for year in years]
    )
    partitions = {
        **dict.fromkeys(SYMBOL_ASSETS, by_symbol),
        **dict.fromkeys(SYMBOL_YEAR_ASSETS, by_symbol_year),
    }
    return backfill_request(partitions, set(UNPARTITIONED_ASSETS), {BATCH_TAG: batch.name})


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
def constituent_lists_sensor(
    context: dg.SensorEvaluationContext, paths: ProjectPaths
) -> dg.SensorResult:
    directory = paths.constituents
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
        skip_reason=None if plan.batches else skip_reason(directory, plan.problems),
    )
