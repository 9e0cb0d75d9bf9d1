import dagster as dg

from sensequant_assets.defs.reference.assets import corporate_actions

reference_job = dg.define_asset_job(
    "reference_job",
    selection=[corporate_actions],
    description="Load the corporate actions of data/reference into the warehouse.",
)
