"""The daily judging runs at a cut-off, shared by the bars' and the teacher's freshness."""

import datetime as dt

import dagster as dg

from sensequant_assets.defs.keys import JUDGED_AT_TAG
from sensequant_assets.defs.resources import automation_status
from sensequant_assets.market.calendar import IST


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
