"""After each NSE session, refresh the still-open year's bars (and their checks) for every symbol.

Running where the deployment sets `SENSEQUANT_AUTOMATION=on`, stopped otherwise (`make demo`, the
tests): it fetches from the configured source for the whole universe, about one call per symbol
(docs/operations.md). It stays a schedule, not an automation condition: it must fetch at a clock
time after the close, while nothing upstream changes to react to. Runs cover a rectangle of
partitions (symbols x the current year) in chunks of the backfill batch size, so a failed fetch
holds back one chunk, not all. The teacher's automation sensor then relabels and retrains the
refreshed symbols.
"""

from collections.abc import Sequence

import dagster as dg

from sensequant_assets.defs.ingestion.jobs import bars_job
from sensequant_assets.defs.partitions import symbols_partitions
from sensequant_assets.defs.resources import automation_status
from sensequant_assets.market.calendar import IST
from sensequant_assets.universe.partitions import PARTITIONS_PER_RUN, range_tags, symbol_year_key


def current_year_requests(
    symbols: Sequence[str], year: int, day: str, chunk: int = PARTITIONS_PER_RUN
) -> list[dg.RunRequest]:
    """One run per `chunk` consecutive symbols (partition order), each over `year` alone.

    A range between two multi-partition keys is the rectangle of both dimensions' ranges, so
    "A|2025".."K|2025" is every symbol from A to K in 2025 only. The run key makes a retried tick
    of the same day launch nothing twice.
    """
    requests = []
    for start in range(0, len(symbols), chunk):
        first, last = symbols[start], symbols[min(start + chunk, len(symbols)) - 1]
        requests.append(
            dg.RunRequest(
                run_key=f"{day}:{first}..{last}",
                tags=range_tags(symbol_year_key(first, year), symbol_year_key(last, year)),
            )
        )
    return requests


@dg.schedule(
    name="current_year_refresh",
    job=bars_job,
    cron_schedule="0 18 * * 1-5",  # NSE closes 15:30 IST; 18:00 leaves time for the day's data
    execution_timezone=IST.key,
    default_status=dg.DefaultScheduleStatus(automation_status().value),
    description="Weekdays 18:00 IST: re-fetch and re-check the current year's daily bars.",
)
def current_year_refresh(
    context: dg.ScheduleEvaluationContext,
) -> list[dg.RunRequest] | dg.SkipReason:
    symbols = context.instance.get_dynamic_partitions(symbols_partitions.name)
    if not symbols:
        return dg.SkipReason("no symbol partitions yet: drop a constituent list first")
    when = context.scheduled_execution_time
    return current_year_requests(symbols, when.year, when.date().isoformat())
