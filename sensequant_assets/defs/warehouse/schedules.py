"""Weekly, while NSE is closed: a lake refreshed nightly otherwise keeps every replaced file."""

import dagster as dg

from sensequant_assets.defs.resources import automation_status
from sensequant_assets.defs.warehouse.jobs import lake_space_job
from sensequant_assets.market.calendar import IST

lake_space_schedule = dg.ScheduleDefinition(
    name="lake_space_schedule",
    job=lake_space_job,
    cron_schedule="0 3 * * 0",  # Sundays 03:00 IST
    execution_timezone=IST.key,
    default_status=dg.DefaultScheduleStatus(automation_status().value),
    description="Sundays 03:00 IST: reclaim the DuckLake's space (lake_space_job).",
)
