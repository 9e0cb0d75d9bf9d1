"""Every evening at the freshness cut-off, judge whether daily_bars holds the due NSE session.

Daily, weekends included: a Saturday special session is due like any other, and on a day with
no new session the run is one warehouse query. Running when the deployment sets
`SENSEQUANT_AUTOMATION=on` (docs/operations.md); switchable in the UI either way.
"""

import datetime as dt

import dagster as dg

from sensequant_assets.defs.quality.checks import JUDGED_AT_TAG
from sensequant_assets.defs.quality.jobs import freshness_job
from sensequant_assets.defs.resources import automation_status
from sensequant_assets.market.calendar import IST
from sensequant_assets.quality.freshness import FRESHNESS_CUTOFF


def cutoff_schedule(
    name: str, job: dg.JobDefinition, cutoff: dt.time, description: str
) -> dg.ScheduleDefinition:
    """A daily run of `job` at `cutoff` IST, its judging time tagged on the run (the checks judge
    as of the scheduled time, not whenever the run happens to start)."""

    @dg.schedule(
        name=name,
        job=job,
        cron_schedule=f"{cutoff.minute} {cutoff.hour} * * *",
        execution_timezone=IST.key,
        default_status=dg.DefaultScheduleStatus(automation_status().value),
        description=description,
    )
    def judge_at_cutoff(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        when = context.scheduled_execution_time
        return dg.RunRequest(run_key=when.isoformat(), tags={JUDGED_AT_TAG: when.isoformat()})

    return judge_at_cutoff


freshness_schedule = cutoff_schedule(
    "freshness_schedule",
    freshness_job,
    FRESHNESS_CUTOFF,
    "Daily 20:00 IST: is the last due session stored? Overdue writes an alert.",
)
