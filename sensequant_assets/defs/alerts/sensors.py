"""Failures someone sees: every failed run becomes lines in the alerts log (and webhook).

One line per failed partition where the step says which (a partly failed bars run names each
failed partition and its error in its failure metadata), else one line per failed step, naming
the asset, the run's partition or partition range, and the first line of the error. A failure
whose credentials an earlier run already found refused (`AlreadyReportedAuthError`: the Breeze
session token of the morning, say) writes nothing: that run raised the one alert, and every run
after it until the token is replaced would repeat it. RUNNING by default: writing a line costs
nothing and launches nothing.
"""

from collections.abc import Sequence

import dagster as dg

from sensequant_assets.alerts import Alert, AlertsResource
from sensequant_assets.sources.base import already_reported
from sensequant_assets.universe.partitions import run_partitions


def failure_alerts(
    tags: dict[str, str], step_failures: Sequence[dg.DagsterEvent], run_message: str
) -> list[Alert]:
    """The alerts of one failed run: per failed partition where known, else per failed step,
    else one for the run (it failed before any step did, e.g. it could not start). None for a
    run whose every failed step met credentials already reported."""
    partitions = run_partitions(tags)
    alerts: list[Alert] = []
    repeated = 0
    for event in step_failures:
        asset = str(event.step_key)
        failure = event.step_failure_data
        if already_reported(failure.error):
            repeated += 1
            continue
        user = failure.user_failure_data
        named = user.metadata.get("failed_partitions") if user is not None else None
        if named is not None:
            alerts += [Alert(asset, key, error) for key, error in dict(named.value).items()]
            continue
        text = user.description if user is not None and user.description else None
        # The asset's own error, not Dagster's "Error occurred while executing op" around it.
        error = failure.error.cause or failure.error if failure.error else None
        text = text or (error.message if error else "step failed")
        alerts.append(Alert(asset, partitions, text.strip().splitlines()[0]))
    if alerts or repeated:
        return alerts
    return [Alert("(run)", partitions, run_message.strip().splitlines()[0])]


@dg.run_failure_sensor(
    name="failure_alerts_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Writes one line per failed run, step or partition to the alerts log "
        "(SENSEQUANT_ALERTS_LOG) and POSTs it to SENSEQUANT_ALERTS_WEBHOOK where set."
    ),
)
def failure_alerts_sensor(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> None:
    run = context.dagster_run
    found = failure_alerts(
        dict(run.tags), context.get_step_failure_events(), context.failure_event.message or ""
    )
    for alert in found:
        alerts.send("failed", alert.asset, alert.partition, f"run {run.run_id}: {alert.reason}")
    context.log.info(f"run {run.run_id}: {len(found)} alert line(s)")
