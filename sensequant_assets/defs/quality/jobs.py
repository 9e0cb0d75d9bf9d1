import dagster as dg

from sensequant_assets.defs.quality.assets import coverage_report
from sensequant_assets.defs.quality.checks import FRESHNESS_JOB, freshness_check

report_job = dg.define_asset_job(
    "report_job", selection=[coverage_report], description="Coverage report per constituent list."
)
freshness_job = dg.define_asset_job(
    FRESHNESS_JOB,
    selection=dg.AssetSelection.checks(freshness_check),
    description="Whether daily_bars holds the last due NSE session; writes an alert if not.",
)
