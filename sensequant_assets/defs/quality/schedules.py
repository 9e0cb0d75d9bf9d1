"""Every evening at the freshness cut-off, judge whether daily_bars holds the due NSE session.

Daily, weekends included: a Saturday special session is due like any other, and on a day with
no new session the run is one warehouse query. Running when the deployment sets
`SENSEQUANT_AUTOMATION=on` (docs/operations.md); switchable in the UI either way.
"""

from sensequant_assets.defs.cutoffs import cutoff_schedule
from sensequant_assets.defs.quality.jobs import freshness_job
from sensequant_assets.quality.freshness import FRESHNESS_CUTOFF

freshness_schedule = cutoff_schedule(
    "freshness_schedule",
    freshness_job,
    FRESHNESS_CUTOFF,
    "Daily 20:00 IST: is the last due session stored? Overdue writes an alert.",
)
