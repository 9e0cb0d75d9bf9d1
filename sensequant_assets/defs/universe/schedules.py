"""After each NSE session, refresh the still-open year's bars (and their checks) for every symbol.

Off by default: it fetches from the configured source for the whole universe, which a user turns
on deliberately (the UI, Automation). Runs cover a rectangle of partitions (symbols x the current
year) in chunks of the backfill batch size, so a failed fetch holds back one chunk, not all.
Labels and models are not retrained here; retrain them from the UI when wanted.
"""

from collections.abc import Sequence

import dagster as dg

from sensequant_assets.defs.ingestion.jobs import bars_job
from sensequant_assets.defs.partitions import symbols_partitions
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
    default_status=dg.DefaultScheduleStatus.STOPPED,
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
