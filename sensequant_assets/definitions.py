"""The whole SenseQuant graph at a glance.

symbol_mapping -> daily_bars (symbol x year) -> coverage/integrity/plausibility checks
               -> teacher_labels -> teacher_model, plus the batch coverage_report;
a sensor turns new constituent lists into partitions and backfills.
"""

import dagster as dg

from sensequant_assets.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.ingestion.resources import bar_source_from_env
from sensequant_assets.paths import warehouse_path
from sensequant_assets.warehouse.resources import WarehouseResource

mapping_job = dg.define_asset_job(
    "mapping_job", selection=[symbol_mapping], description="Resolve ISEC codes for symbols."
)
bars_job = dg.define_asset_job(
    "bars_job",
    selection=dg.AssetSelection.assets(daily_bars),
    description="Fetch daily bars per symbol-year and run their checks.",
)

defs = dg.Definitions(
    assets=[symbol_mapping, daily_bars],
    jobs=[mapping_job, bars_job],
    resources={
        "warehouse": WarehouseResource(database=str(warehouse_path())),
        "bar_source": bar_source_from_env(),
    },
    executor=dg.in_process_executor,
)
