"""How fresh the teacher must be: every model holds the bars stored before the morning cut-off.

The teacher's cadence is not the bars': a model is due once its bars changed (a new session, a
corrected bar, a new year) and the automation had its chance, which is by 09:00 IST the next
morning, before the 09:15 open (`quality.freshness.TEACHER_CUTOFF`). The check compares the bars
data versions each model's labels were built from (recorded on its materialization) with those
the bars' latest materializations report, and when each was stored; it reads the event log
only, no warehouse. A symbol whose latest labels are gated is left to the checks that gate it.
It runs at the cut-off (teacher_freshness_schedule, which also writes the overdue line to the
alerts log), with every teacher_job run, and after the automation updates a model.
"""

import datetime as dt

import dagster as dg

from sensequant_assets.alerts import AlertsResource
from sensequant_assets.dagster_internals import data_version, latest_records
from sensequant_assets.defs.keys import DAILY_BARS, JUDGED_AT_TAG
from sensequant_assets.defs.partitions import symbols_partitions, years_partitions
from sensequant_assets.defs.teacher.assets import teacher_labels, teacher_model
from sensequant_assets.quality.freshness import (
    SHOWN_SYMBOLS,
    TEACHER_CUTOFF,
    last_cutoff,
    teacher_description,
)
from sensequant_assets.teacher.recorded import bars_keys, model_verdicts, recorded

TEACHER_FRESHNESS_JOB = "teacher_freshness_job"


@dg.asset_check(
    asset=teacher_model,
    name="teacher_freshness_check",
    description=(
        f"Every model holds the bars stored before the {TEACHER_CUTOFF:%H:%M} IST cut-off (before "
        "the open): its labels were built from the data versions its bars partitions report now. "
        "Overdue names each model behind, the last session it holds and the partitions it lacks."
    ),
    blocking=False,
    automation_condition=dg.AutomationCondition.any_deps_match(
        dg.AutomationCondition.newly_updated()
    ).with_label("after a model is updated"),
)
def teacher_freshness_check(
    context: dg.AssetCheckExecutionContext, alerts: AlertsResource
) -> dg.AssetCheckResult:
    """Warns (never fails a run). The scheduled run at the cut-off also writes the overdue line
    to the alerts log, once a day; the other runs only update what the UI shows."""
    judged_at = context.run.tags.get(JUDGED_AT_TAG)
    now = dt.datetime.fromisoformat(judged_at) if judged_at else dt.datetime.now(dt.UTC)
    cutoff_at = last_cutoff(now)
    symbols = context.instance.get_dynamic_partitions(symbols_partitions.name)
    models = latest_records(context.instance, teacher_model.key, symbols)
    labels = latest_records(context.instance, teacher_labels.key, list(models))
    keys = bars_keys(list(models), years_partitions.get_partition_keys())
    bars = latest_records(context.instance, DAILY_BARS, list(keys))
    verdicts, gated = model_verdicts(
        recorded(models, data_version),
        recorded(labels, data_version),
        recorded(bars, data_version),
        keys,
        cutoff_at,
    )
    description = teacher_description(verdicts, cutoff_at, SHOWN_SYMBOLS)
    behind = [verdict.symbol for verdict in verdicts if verdict.overdue]
    if behind and context.run.job_name == TEACHER_FRESHNESS_JOB:
        partitions = ", ".join(behind[:SHOWN_SYMBOLS])
        alerts.send("overdue", teacher_model.key.to_user_string(), partitions, description)
    return dg.AssetCheckResult(
        passed=not behind,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "cutoff": cutoff_at.isoformat(timespec="minutes"),
            "judged_at": now.isoformat(timespec="minutes"),
            "models": len(verdicts),
            "models_behind": len(behind),
            "retrains_pending": sum(1 for v in verdicts if v.pending and not v.overdue),
            "gated": len(gated),
        },
    )
