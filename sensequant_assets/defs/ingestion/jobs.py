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
bars_checks_job = dg.define_asset_job(
    "bars_checks_job",
    selection=dg.AssetSelection.checks_for_assets(daily_bars),
    description=(
        "The daily_bars checks alone, over partitions already written: launched for the "
        "partitions a run wrote before its bars step failed on others (that run skipped them)."
    ),
)
