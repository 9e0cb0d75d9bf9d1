import dagster as dg

from sensequant_assets.defs.ingestion.assets import daily_bars, symbol_mapping

mapping_job = dg.define_asset_job(
    "mapping_job", selection=[symbol_mapping], description="Resolve ISEC codes for symbols."
)
bars_job = dg.define_asset_job(
    "bars_job",
    selection=dg.AssetSelection.assets(daily_bars),
    description="Fetch daily bars per symbol-year and run their checks.",
)
