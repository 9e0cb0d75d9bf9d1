import dagster as dg

from sensequant_assets.defs.teacher.assets import (
    teacher_labels,
    teacher_model,
    teacher_universe_model,
)
from sensequant_assets.defs.teacher.checks import TEACHER_FRESHNESS_JOB, teacher_freshness_check

teacher_job = dg.define_asset_job(
    "teacher_job",
    selection=[teacher_labels, teacher_model],
    description="Label and train the walk-forward teacher per symbol.",
)
universe_job = dg.define_asset_job(
    "universe_job",
    selection=[teacher_universe_model],
    description="Train the cross-sectional teacher on every symbol that passed the gate.",
)
teacher_freshness_job = dg.define_asset_job(
    TEACHER_FRESHNESS_JOB,
    selection=dg.AssetSelection.checks(teacher_freshness_check),
    description="Whether every model holds the bars stored before the morning cut-off; "
    "writes an alert if not.",
)
