"""Sensors refuse bad partition keys as assets and checks do (issue 21): Dagster stores any
string as a key in observations and failure metadata, so a sensor reading keys there names each
bad one in its tick and never requests a run of it, while the valid keys go on."""

import datetime as dt

import dagster as dg
import pytest

from sensequant_assets.definitions import defs
from sensequant_assets.defs.batches import WRITTEN_PARTITIONS
from sensequant_assets.defs.ingestion.sensors import written_bars_checks_sensor
from sensequant_assets.defs.intraday.sensors import (
    INTRADAY_BARS,
    intraday_resume_sensor,
    written_intraday_checks_sensor,
)
from sensequant_assets.defs.partitions import symbols_partitions
from sensequant_assets.sources.ingest import PAUSED_STATUS, RESUME_AT
from sensequant_assets.universe.partitions import RANGE_START

HOSTILE = ["..", ".", "/abs", "a/../../b", "A" * 300, "ＲＥＬＩＡＮＣＥ"]  # the last: fullwidth
DAILY = [*HOSTILE, "../../x|2024", "RELIANCE|..", "ＲＥＬＩＡＮＣＥ|2024", "RELIANCE|2024|x"]
INTRADAY = [*HOSTILE, "2024-03|..", "2024-03|/abs", "2024-13|RELIANCE", "2024-03|ＲＥＬＩＡＮＣＥ"]


def pause(instance: dg.DagsterInstance, keys: list[str]) -> None:
    """What a run at the call cap records: a paused observation per partition, due to resume."""
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    for key in keys:
        instance.report_runless_asset_event(
            dg.AssetObservation(
                INTRADAY_BARS, partition=key, metadata={"status": PAUSED_STATUS, RESUME_AT: past}
            )
        )


def resume_tick(instance: dg.DagsterInstance, synthetic_source):
    context = dg.build_sensor_context(
        instance=instance, definitions=defs(), resources={"bar_source": synthetic_source}
    )
    return intraday_resume_sensor.evaluate_tick(context)


def test_the_resume_sensor_names_bad_paused_keys_and_never_requests_them(
    instance, synthetic_source
):
    pause(instance, INTRADAY)
    tick = resume_tick(instance, synthetic_source)
    assert not tick.run_requests
    assert tick.skip_message and "not resumed" in tick.skip_message
    for key in INTRADAY:
        assert repr(key) in tick.skip_message, key
    assert "no intraday partition paused" in tick.skip_message  # none kept in the cursor


def test_the_resume_sensor_resumes_the_valid_keys_beside_bad_ones(instance, synthetic_source):
    instance.add_dynamic_partitions(symbols_partitions.name, ["RELIANCE"])
    pause(instance, [*INTRADAY, "2024-03|RELIANCE"])
    tick = resume_tick(instance, synthetic_source)
    [request] = tick.run_requests
    assert request.asset_graph_subset is not None
    [(key, partitions)] = request.asset_graph_subset.partitions_subsets_by_asset_key.items()
    assert (key, list(partitions.get_partition_keys())) == (INTRADAY_BARS, ["2024-03|RELIANCE"])
    assert tick.cursor and "RELIANCE" not in tick.cursor.replace("2024-03|RELIANCE", "")


def failed_run(instance: dg.DagsterInstance, step: str, written: list[str]):
    """A failed run whose `step` step reports `written` as the partitions it wrote, as the bars
    assets do in their failure metadata."""

    @dg.asset(name=step)
    def partly_written() -> None:
        raise dg.Failure("some partitions failed", metadata={WRITTEN_PARTITIONS: written})

    return dg.materialize([partly_written], instance=instance, raise_on_error=False)


@pytest.mark.parametrize(
    ("sensor", "step", "keys", "valid"),
    [
        (written_bars_checks_sensor, "daily_bars", DAILY, "RELIANCE|2024"),
        (written_intraday_checks_sensor, "intraday_bars", INTRADAY, "2024-03|RELIANCE"),
    ],
)
def test_the_checks_sensors_name_bad_written_keys_and_check_only_valid_ones(
    instance, sensor, step, keys, valid
):
    instance.add_dynamic_partitions(symbols_partitions.name, ["RELIANCE"])
    for written, requested in ((keys, []), ([*keys, valid], [valid])):
        run = failed_run(instance, step, written)
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_event=run.get_run_failure_event(),
            dagster_instance=instance,
            dagster_run=run.dagster_run,
        ).for_run_failure()
        answer = sensor(context)
        if requested:
            assert [r.tags[RANGE_START] for r in answer] == requested
        else:
            assert isinstance(answer, dg.SkipReason)
            for key in keys:
                assert repr(key) in answer.skip_message, key
