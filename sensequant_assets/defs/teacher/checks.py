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
from sensequant_assets.defs.keys import JUDGED_AT_TAG
from sensequant_assets.defs.partitions import symbols_partitions, years_partitions
from sensequant_assets.defs.teacher.assets import (
    BARS_VERSIONS,
    DAILY_BARS,
    LAST_SESSION,
    recorded_metadata,
    teacher_labels,
    teacher_model,
)
from sensequant_assets.quality.freshness import (
    SHOWN_SYMBOLS,
    TEACHER_CUTOFF,
    ModelVerdict,
    StoredBars,
    TrainedModel,
    last_cutoff,
    model_verdict,
    teacher_description,
)
from sensequant_assets.universe.partitions import symbol_year_key

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
    verdicts, gated = _verdicts(context.instance, cutoff_at)
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


def _verdicts(
    instance: dg.DagsterInstance, cutoff_at: dt.datetime
) -> tuple[list[ModelVerdict], list[str]]:
    """Each trained symbol's verdict (gated symbols apart), in six event-log queries in all."""
    symbols = instance.get_dynamic_partitions(symbols_partitions.name)
    models = latest_records(instance, teacher_model.key, symbols)
    labels = latest_records(instance, teacher_labels.key, list(models))
    gated = sorted(
        symbol
        for symbol, record in labels.items()
        if (status := recorded_metadata(record).get("status")) is not None
        and status.value == "gated"
    )
    years = years_partitions.get_partition_keys()
    # Each key's symbol as built, not parsed back: a symbol materialized before keys were
    # checked must not stop the check that reads the event log only.
    keys = {symbol_year_key(symbol, int(year)): symbol for symbol in models for year in years}
    stored: dict[str, dict[str, StoredBars]] = {symbol: {} for symbol in models}
    for key, bar in latest_records(instance, DAILY_BARS, list(keys)).items():
        last_date = recorded_metadata(bar).get("last_date")
        stored[keys[key]][key] = StoredBars(
            version=data_version(bar) or "",
            stored_at=dt.datetime.fromtimestamp(bar.timestamp, dt.UTC),
            last_date=str(last_date.value) if last_date is not None else "",
        )
    verdicts = []
    for symbol, record in sorted(models.items()):
        if symbol in gated:
            continue
        metadata = recorded_metadata(record)
        recorded, last = metadata.get(BARS_VERSIONS), metadata.get(LAST_SESSION)
        model = TrainedModel(
            bars_versions=dict(recorded.value) if recorded is not None else {},
            last_session=str(last.value) if last is not None else "",
        )
        verdicts.append(model_verdict(symbol, model, stored[symbol], cutoff_at))
    return verdicts, gated
