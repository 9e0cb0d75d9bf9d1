"""The whole SenseQuant graph at a glance.

symbol_mapping -> daily_bars (symbol x year) -> coverage/integrity/plausibility checks
               -> teacher_labels -> teacher_model, plus the batch coverage_report;
a sensor turns new constituent lists into partitions and backfills.
"""

import dagster as dg

from sensequant_assets.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.ingestion.resources import bar_source_from_env
from sensequant_assets.paths import warehouse_path
from sensequant_assets.quality.assets import coverage_report
from sensequant_assets.quality.checks import daily_bars_checks, mapping_check
from sensequant_assets.teacher.assets import TeacherSettings, teacher_labels, teacher_model
from sensequant_assets.universe.schedules import current_year_refresh
from sensequant_assets.universe.sensors import constituent_lists_sensor
from sensequant_assets.warehouse.resources import WarehouseResource

mapping_job = dg.define_asset_job(
    "mapping_job", selection=[symbol_mapping], description="Resolve ISEC codes for symbols."
)
bars_job = dg.define_asset_job(
    "bars_job",
    selection=dg.AssetSelection.assets(daily_bars),
    description="Fetch daily bars per symbol-year and run their checks.",
)
report_job = dg.define_asset_job(
    "report_job", selection=[coverage_report], description="Coverage report per constituent list."
)
teacher_job = dg.define_asset_job(
    "teacher_job",
    selection=[teacher_labels, teacher_model],
    description="Label and train the walk-forward teacher per symbol.",
)

defs = dg.Definitions(
    assets=[symbol_mapping, daily_bars, coverage_report, teacher_labels, teacher_model],
    asset_checks=[daily_bars_checks, mapping_check],
    jobs=[mapping_job, bars_job, report_job, teacher_job],
    sensors=[constituent_lists_sensor],
    schedules=[current_year_refresh],
    resources={
        "warehouse": WarehouseResource(database=str(warehouse_path())),
        "bar_source": bar_source_from_env(),
        "teacher": TeacherSettings(),
    },
    executor=dg.in_process_executor,
)
