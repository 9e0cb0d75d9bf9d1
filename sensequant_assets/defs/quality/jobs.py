import dagster as dg

from sensequant_assets.defs.quality.assets import coverage_report

report_job = dg.define_asset_job(
    "report_job", selection=[coverage_report], description="Coverage report per constituent list."
)
