"""Every morning at the teacher's cut-off, judge whether every model holds the bars stored before.

Daily, weekends included: a correction stored on a Saturday is due by Sunday's cut-off like any
other, and a morning with nothing to retrain costs six event-log queries. Running when the
deployment sets `SENSEQUANT_AUTOMATION=on` (docs/operations.md); switchable in the UI either way.
"""

import dagster as dg

from sensequant_assets.defs.quality.checks import JUDGED_AT_TAG
from sensequant_assets.defs.resources import automation_status
from sensequant_assets.defs.teacher.jobs import teacher_freshness_job
from sensequant_assets.market.calendar import IST
from sensequant_assets.quality.freshness import TEACHER_CUTOFF


@dg.schedule(
    name="teacher_freshness_schedule",
    job=teacher_freshness_job,
    cron_schedule=f"{TEACHER_CUTOFF.minute} {TEACHER_CUTOFF.hour} * * *",
    execution_timezone=IST.key,
    default_status=dg.DefaultScheduleStatus(automation_status().value),
    description="Daily 09:00 IST: does every model hold its bars? Overdue writes an alert.",
)
def teacher_freshness_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    when = context.scheduled_execution_time
    return dg.RunRequest(run_key=when.isoformat(), tags={JUDGED_AT_TAG: when.isoformat()})
