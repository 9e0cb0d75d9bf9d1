"""Every morning at the teacher's cut-off, judge whether every model holds the bars stored before.

Daily, weekends included: a correction stored on a Saturday is due by Sunday's cut-off like any
other, and a morning with nothing to retrain costs six event-log queries. Running when the
deployment sets `SENSEQUANT_AUTOMATION=on` (docs/operations.md); switchable in the UI either way.
"""

from sensequant_assets.defs.cutoffs import cutoff_schedule
from sensequant_assets.defs.teacher.jobs import teacher_freshness_job
from sensequant_assets.quality.freshness import TEACHER_CUTOFF

teacher_freshness_schedule = cutoff_schedule(
    "teacher_freshness_schedule",
    teacher_freshness_job,
    TEACHER_CUTOFF,
    "Daily 09:00 IST: does every model hold its bars? Overdue writes an alert.",
)
