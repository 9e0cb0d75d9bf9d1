"""A failed run becomes alert lines a desk reads: per failed partition with its error where the
step names them, else per failed step with the run's partitions, on the log and the webhook."""

from pathlib import Path

import dagster as dg

from sensequant_assets.alerts import AlertsResource
from sensequant_assets.defs.alerts.sensors import failure_alerts, failure_alerts_sensor
from sensequant_assets_tests.conftest import FIXED_NOW
from sensequant_assets_tests.defs.ingestion.test_assets import ingest
from sensequant_assets_tests.faults.answers import FaultyAnswers
from sensequant_assets_tests.receiver import webhook_receiver

BAD = "OBEROI|2022"


def evaluate(
    instance: dg.DagsterInstance, failed: dg.ExecuteInProcessResult, alerts: AlertsResource
) -> None:
    context = dg.build_run_status_sensor_context(
        sensor_name=failure_alerts_sensor.name,
        dagster_event=failed.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=failed.dagster_run,
        resources={"alerts": alerts},
    ).for_run_failure()
    failure_alerts_sensor(context)


def test_a_partly_failed_bars_run_names_the_failed_partition_and_its_error(
    instance, warehouse, tmp_path: Path
):
    faulty = FaultyAnswers(as_of=FIXED_NOW.isoformat(), faults={BAD: "duplicated"})
    failed = ingest(instance, warehouse, faulty)
    assert not failed.success
    log = tmp_path / "alerts.log"
    with webhook_receiver() as (url, received):
        evaluate(instance, failed, AlertsResource(log_file=str(log), webhook_url=url))
    [line] = log.read_text().splitlines()
    assert f"\tfailed\tasset=daily_bars\tpartition={BAD}\treason=run {failed.run_id}: " in line
    assert "duplicate symbol and date on 2022-01-17" in line
    assert [(body["asset"], body["partition"]) for body in received] == [("daily_bars", BAD)]


def test_a_whole_step_failure_names_the_runs_partition_range(instance, warehouse, tmp_path):
    failed = ingest(
        instance,
        warehouse,
        FaultyAnswers(as_of=FIXED_NOW.isoformat(), faults={BAD: "error"}),
        start=BAD,
        end=BAD,
    )
    assert not failed.success
    step_failures = [e for e in failed.all_events if e.is_step_failure]
    [alert] = failure_alerts(dict(failed.dagster_run.tags), step_failures, "run failed")
    assert (alert.asset, alert.partition) == ("daily_bars", BAD)  # named by the failed step
    tags = {
        "dagster/asset_partition_range_start": "A|2025",
        "dagster/asset_partition_range_end": "K|2025",
    }
    [unstarted] = failure_alerts(tags, [], "Run could not start:\nno code location")
    assert unstarted == ("(run)", "A|2025..K|2025", "Run could not start:")
