"""Checks for the partitions a partially failed bars run did write.

When some partitions of a run fail, `daily_bars` writes the others and then fails its step, so
Dagster shows each partition as it really is; but a failed step skips the run's check step, and
the written partitions would stay unchecked. This sensor reads which partitions the failed step
wrote (its failure metadata) and runs `daily_bars_checks` over exactly those, in as few range
runs as cover them, tagged with the run they follow and its batch.
"""

import dagster as dg

from sensequant_assets.defs.batches import written_checks_requests
from sensequant_assets.defs.ingestion.assets import daily_bars
from sensequant_assets.defs.ingestion.jobs import bars_checks_job
from sensequant_assets.defs.partitions import symbols_partitions, years_partitions
from sensequant_assets.universe.partitions import checked_symbol_years, covering_ranges


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
    def ranges(written: list[str]) -> list[tuple[str, str]]:
        symbols = context.instance.get_dynamic_partitions(symbols_partitions.name)
        return covering_ranges(written, symbols, years_partitions.get_partition_keys())

    return written_checks_requests(context, daily_bars.op.name, checked_symbol_years, ranges)
