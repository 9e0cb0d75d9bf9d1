import dagster as dg

from sensequant_assets.defs.teacher.assets import teacher_labels, teacher_model

teacher_job = dg.define_asset_job(
    "teacher_job",
    selection=[teacher_labels, teacher_model],
    description="Label and train the walk-forward teacher per symbol.",
)
