import dagster as dg

from sensequant_assets.defs.intraday.assets import intraday_bars

intraday_job = dg.define_asset_job(
    "intraday_job",
    selection=dg.AssetSelection.assets(intraday_bars),
    description="Fetch intraday bars per symbol-month and run their checks.",
)
intraday_checks_job = dg.define_asset_job(
    "intraday_checks_job",
    selection=dg.AssetSelection.checks_for_assets(intraday_bars),
    description=(
        "The intraday_bars checks alone, over partitions already written: launched for the "
        "partitions a run wrote before it paused or failed on others (that run skipped them)."
    ),
)
