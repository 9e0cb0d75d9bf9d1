"""Checks for the partitions a partially failed bars run did write.

When some partitions of a run fail, `daily_bars` writes the others and then fails its step, so
Dagster shows each partition as it really is; but a failed step skips the run's check step, and
the written partitions would stay unchecked. This sensor reads which partitions the failed step
wrote (its failure metadata) and runs `daily_bars_checks` over exactly those, in as few range
runs as cover them, tagged with the run they follow and its batch.
"""

from collections.abc import Callable, Iterable, Sequence

import dagster as dg

from sensequant_assets.defs.ingestion.assets import WRITTEN_PARTITIONS, daily_bars
from sensequant_assets.defs.ingestion.jobs import bars_checks_job
from sensequant_assets.defs.partitions import symbols_partitions, years_partitions
from sensequant_assets.universe.partitions import (
    BATCH_TAG,
    checked_symbol_years,
    covering_ranges,
    range_tags,
    valid_keys,
)

CHECKS_FOR_RUN_TAG = "sensequant/checks_for_run"


def written_partitions(
    step_failures: Sequence[dg.DagsterEvent], step_key: str = daily_bars.op.name
) -> list[str]:
    """The partitions a failed run wrote, from its `step_key` step's failure metadata (the
    daily_bars step unless another asset's is named)."""
    for event in step_failures:
        failure = event.step_failure_data.user_failure_data
        if event.step_key == step_key and failure is not None:
            entry = failure.metadata.get(WRITTEN_PARTITIONS)
            if entry is not None:
                return [str(key) for key in entry.value]
    return []


@dg.run_failure_sensor(
    name="written_bars_checks_sensor",
    request_job=bars_checks_job,
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "After a run whose daily_bars step wrote some partitions and failed on others, runs "
        "the daily_bars checks on exactly the written ones (the failed step skipped them)."
    ),
)
def written_bars_checks_sensor(
    context: dg.RunFailureSensorContext,
) -> list[dg.RunRequest] | dg.SkipReason | None:
    symbols = context.instance.get_dynamic_partitions(symbols_partitions.name)
    years = years_partitions.get_partition_keys()
    return checks_of_written(
        context,
        written_partitions(context.get_step_failure_events()),
        checked_symbol_years,
        lambda keys: covering_ranges(keys, symbols, years),
    )


def checks_of_written(
    context: dg.RunFailureSensorContext,
    written: list[str],
    check: Callable[[Iterable[str]], object],
    ranges: Callable[[list[str]], list[tuple[str, str]]],
) -> list[dg.RunRequest] | dg.SkipReason | None:
    """The checks runs for the partitions a failed run wrote (`check` proves each key, `ranges`
    covers them). A key `check` refuses is named in the tick and left unchecked: failure
    metadata is stored as given, and one bad key must not hold back the others' checks. None
    when the run wrote nothing, so the sensor moves on to the next failed run."""
    written, refused = valid_keys(written, check)
    if refused and not written:
        return dg.SkipReason(f"Not checked: {refused}")
    if refused:
        context.log.warning(f"Not checked: {refused}")
    if not written:
        return None  # nothing of ours to check: let the sensor move on to the next failed run
    return check_requests(context, ranges(written), len(written))


def check_requests(
    context: dg.RunFailureSensorContext, ranges: list[tuple[str, str]], written: int
) -> list[dg.RunRequest]:
    """One checks run per range of the partitions a failed run wrote, tagged with that run (and
    its batch), so the follow-up runs are found from it."""
    run = context.dagster_run
    tags = {CHECKS_FOR_RUN_TAG: run.run_id}
    if BATCH_TAG in run.tags:
        tags[BATCH_TAG] = run.tags[BATCH_TAG]
    context.log.info(f"run {run.run_id} wrote {written} partition(s): checking them")
    return [
        dg.RunRequest(
            run_key=f"{run.run_id}:{start}:{end}", tags={**tags, **range_tags(start, end)}
        )
        for start, end in ranges
    ]
