"""A run of many partitions that writes some and fails on others, in Dagster's terms.

`daily_bars` and `intraday_bars` share it: an observation per failed (or paused) partition, the
step's failure naming the partitions it wrote, and the follow-up checks runs over exactly those
(a failed step skips its run's check step). Which partitions fail, and why, is decided in
`sources/write_policy.py`; this module only says it to Dagster.
"""

from collections.abc import Callable, Iterable, Sequence

import dagster as dg

from sensequant_assets.universe.partitions import BATCH_TAG, range_tags, valid_keys

WRITTEN_PARTITIONS = "written_partitions"
"""Step-failure metadata of a partially written run: the partitions it did write, which the
checks sensors read to check exactly those."""
CHECKS_FOR_RUN_TAG = "sensequant/checks_for_run"


def failed_partition_events(
    context: dg.AssetExecutionContext,
    failed: dict[str, str],
    kept: dict[str, int],
    paused: dict[str, dict[str, object]] | None = None,
) -> list[dg.AssetObservation]:
    """For a step that wrote some partitions and then fails: an observation per failed partition,
    carrying its error and the rows it kept, and per paused one, saying when it resumes, both
    readable on the partition's own page. Dagster marks a partition of a failed run "failed"
    unless the run materialized it, so only these read failed."""
    for key, error in failed.items():
        context.log.error(f"{key}: {error}; its {kept[key]} stored row(s) were kept")
    observations = [
        dg.AssetObservation(
            context.asset_key,
            partition=key,
            metadata={"status": "failed; stored rows kept", "error": error, "rows_kept": kept[key]},
        )  # no partition tags: uncached statuses read any tagged event as materialized
        for key, error in failed.items()
    ]
    observations += [
        dg.AssetObservation(context.asset_key, partition=key, metadata=entry)
        for key, entry in (paused or {}).items()
    ]
    return observations


def partial_batch_error(
    written: list[str],
    failed: dict[str, str],
    description: str,
    metadata: dict[str, object] | None = None,
) -> dg.Failure:
    """The step's failure naming each failed partition and the ones it did write (which
    `written_bars_checks_sensor` and its intraday twin check in a follow-up run)."""
    return dg.Failure(
        description=description,
        metadata={
            "failed_partitions": dg.MetadataValue.json(failed),
            WRITTEN_PARTITIONS: dg.MetadataValue.json(sorted(written)),
            **(metadata or {}),
        },
    )


def written_checks_requests(
    context: dg.RunFailureSensorContext,
    step_key: str,
    check: Callable[[Iterable[str]], object],
    ranges: Callable[[list[str]], list[tuple[str, str]]],
) -> list[dg.RunRequest] | dg.SkipReason | None:
    """One checks run per range (`ranges` of the written keys) of the partitions the failed
    run's `step_key` step wrote, tagged with that run (and its batch), so the follow-up runs are
    found from it; None when that step wrote nothing, so the sensor moves on to the next run.
    A key `check` refuses is named in the tick and left unchecked: failure metadata is stored as
    given, and one bad key must not hold back the others' checks."""
    written, refused = valid_keys(
        written_partitions(context.get_step_failure_events(), step_key), check
    )
    if refused and not written:
        return dg.SkipReason(f"Not checked: {refused}")
    if refused:
        context.log.warning(f"Not checked: {refused}")
    if not written:
        return None
    run = context.dagster_run
    tags = {CHECKS_FOR_RUN_TAG: run.run_id}
    if BATCH_TAG in run.tags:
        tags[BATCH_TAG] = run.tags[BATCH_TAG]
    context.log.info(f"run {run.run_id} wrote {len(written)} partition(s): checking them")
    return [
        dg.RunRequest(
            run_key=f"{run.run_id}:{start}:{end}", tags={**tags, **range_tags(start, end)}
        )
        for start, end in ranges(written)
    ]


def written_partitions(step_failures: Sequence[dg.DagsterEvent], step_key: str) -> list[str]:
    """The partitions a failed run wrote, from its `step_key` step's failure metadata."""
    for event in step_failures:
        failure = event.step_failure_data.user_failure_data
        if event.step_key == step_key and failure is not None:
            entry = failure.metadata.get(WRITTEN_PARTITIONS)
            if entry is not None:
                return [str(key) for key in entry.value]
    return []
