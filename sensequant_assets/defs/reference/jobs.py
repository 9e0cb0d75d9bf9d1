import dagster as dg

from sensequant_assets.defs.reference.assets import corporate_actions, universe_membership

reference_job = dg.define_asset_job(
    "reference_job",
    selection=[corporate_actions, universe_membership],
    description="Load the corporate actions of data/reference into the warehouse, and rebuild "
    "index membership from every constituent list.",
)
