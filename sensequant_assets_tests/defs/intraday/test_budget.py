"""A backfill that meets the daily call cap pauses, shows the budget, and resumes by itself the
next (simulated) day without fetching a page twice: the real breeze_connect client against the
stand-in server (1000-candle cap, a daily limit), the real limiter on a clock a day ahead.
"""

import time
from pathlib import Path

import dagster as dg

from sensequant_assets.definitions import defs
from sensequant_assets.defs.ingestion.assets import symbol_mapping
from sensequant_assets.defs.intraday.jobs import intraday_checks_job
from sensequant_assets.defs.intraday.sensors import (
    RESUMES_TAG,
    intraday_resume_sensor,
    written_intraday_checks_sensor,
)
from sensequant_assets.defs.partitions import symbol_month_partitions
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets.sources.ingest import PAUSED_PARTITIONS, PAUSED_STATUS, RESUME_AT
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets_tests.defs.intraday.test_assets import INTRADAY, fetch_intraday, resources
from sensequant_assets_tests.support.standin_breeze import StandinBreeze, standin_source

DAY = 86_400.0
SYMBOLS = [f"BENCH{n:03d}" for n in range(11, 15)]
KEYS = [f"2024-03|{symbol}" for symbol in SYMBOLS]
# A login a run, and 7 pages a symbol-month: the mapping run's login, then the intraday run's
# login and 7 + 7 pages, and the cap falls after the third symbol's 4th page.
CAP = 20


class ShiftedBreeze(BreezeSource):
    """The Breeze source whose limiter counts on a clock `clock_shift_seconds` ahead: a setting,
    so that it survives Dagster building the resource for each run and sensor tick."""

    clock_shift_seconds: float = 0.0

    def model_post_init(self, context: object) -> None:
        super().model_post_init(context)
        self.use_clock(lambda: time.time() + self.clock_shift_seconds)


def source(server: StandinBreeze, tmp_path: Path, shift: float = 0.0) -> ShiftedBreeze:
    base = standin_source(server, tmp_path / "breeze", calls_per_day=CAP)
    return ShiftedBreeze(**base.model_dump(), clock_shift_seconds=shift)


def tick(instance: dg.DagsterInstance, bar_source: BreezeSource, cursor: str | None):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs(), resources={"bar_source": bar_source}
    )
    return intraday_resume_sensor.evaluate_tick(context)


def pages_asked(server: StandinBreeze) -> dict[str, list[int]]:
    return {symbol: sorted(server.page_calls(f"BM{symbol[-3:]}").values()) for symbol in SYMBOLS}


def paused_run(instance, warehouse, server, tmp_path) -> dg.ExecuteInProcessResult:
    shift = [0.0]
    server.limit_daily(5000, lambda: time.time() + shift[0])
    today = source(server, tmp_path)
    instance.add_dynamic_partitions("symbols", SYMBOLS)
    dg.materialize(
        [symbol_mapping],
        instance=instance,
        resources=resources(warehouse, today),
        tags=range_tags(SYMBOLS[0], SYMBOLS[-1]),
    )
    return fetch_intraday(instance, warehouse, today, KEYS)


def test_a_backfill_at_the_cap_pauses_and_resumes_the_next_day(
    instance, warehouse, breeze_server, tmp_path
):
    first = paused_run(instance, warehouse, breeze_server, tmp_path)

    assert not first.success
    statuses = instance.get_status_by_partition(INTRADAY, KEYS, symbol_month_partitions)
    fetched, paused = KEYS[:2], KEYS[2:]
    assert [statuses[k] for k in fetched] == [dg.AssetPartitionStatus.MATERIALIZED] * 2
    assert [statuses[k] for k in paused] == [dg.AssetPartitionStatus.FAILED] * 2
    [failure] = [e for e in first.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    data = failure.step_failure_data.user_failure_data
    assert "2 of 4 intraday_bars partitions paused: the daily call budget is spent" in (
        data.description
    )
    assert list(data.metadata[PAUSED_PARTITIONS].value) == paused
    resume_at = data.metadata[RESUME_AT].value
    observations = instance.fetch_observations(INTRADAY, limit=20).records
    assert {
        r.partition_key: r.asset_observation.metadata["status"].value
        for r in observations
        if r.partition_key
    } == dict.fromkeys(paused, PAUSED_STATUS)
    [budget] = [r.asset_observation.metadata for r in observations if r.partition_key is None]
    assert budget["calls_used"].value == CAP and budget["calls_left_for_intraday"].value == 0
    assert budget["intraday_resumes_at"].value.endswith(" IST")
    assert pages_asked(breeze_server) == {
        "BENCH011": [1] * 7,
        "BENCH012": [1] * 7,
        "BENCH013": [1] * 4,
        "BENCH014": [],
    }

    # The same day: the sensor's tick states the budget and launches nothing.
    waiting = tick(instance, source(breeze_server, tmp_path), None)
    assert not waiting.run_requests
    assert waiting.skip_message.startswith(
        f"Breeze budget: {CAP} of {CAP} calls used in the last 24 h, 0 reserved for daily "
        "refreshes, 0 left for intraday; intraday resumes at "
    )
    assert waiting.skip_message.endswith(
        "; 2 intraday partition(s) paused, resuming when the budget allows (recorded resume "
        f"time {resume_at})"
    )

    # The next day: the budget has room, the sensor requests exactly the paused partitions.
    tomorrow = source(breeze_server, tmp_path, shift=DAY + 120)
    resumed = tick(instance, tomorrow, waiting.cursor)
    [request] = resumed.run_requests
    assert request.tags[RESUMES_TAG] == "2"
    subset = request.asset_graph_subset.partitions_subsets_by_asset_key[INTRADAY]
    assert sorted(subset.get_partition_keys()) == sorted(paused)

    # The backfill's run (executed here in-process) asks only for the pages still missing.
    second = fetch_intraday(instance, warehouse, tomorrow, paused)
    assert second.success
    assert pages_asked(breeze_server) == dict.fromkeys(SYMBOLS, [1] * 7), "no page twice"
    assert breeze_server.daily_limited_calls() == []  # the client never went over
    statuses = instance.get_status_by_partition(INTRADAY, KEYS, symbol_month_partitions)
    assert set(statuses.values()) == {dg.AssetPartitionStatus.MATERIALIZED}
    with warehouse.get_connection() as conn:
        assert conn.execute("SELECT count(*) FROM intraday_bars").fetchone() == (4 * 6855,)
    done = tick(instance, tomorrow, resumed.cursor)
    assert not done.run_requests and "no intraday partition paused" in done.skip_message


def test_the_partitions_a_paused_run_wrote_are_checked(
    instance, warehouse, breeze_server, tmp_path
):
    failed = paused_run(instance, warehouse, breeze_server, tmp_path)
    context = dg.build_run_status_sensor_context(
        sensor_name=written_intraday_checks_sensor.name,
        dagster_event=failed.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=failed.dagster_run,
    ).for_run_failure()
    [request] = written_intraday_checks_sensor(context)
    assert range_tags(*KEYS[:2]).items() <= request.tags.items()
    job = defs().resolve_job_def(intraday_checks_job.name)
    run = job.execute_in_process(
        instance=instance,
        resources=resources(warehouse, source(breeze_server, tmp_path)),
        tags=request.tags,
    )
    checked = {
        e.asset_check_evaluation_data.partition
        for e in run.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    }
    assert checked == set(KEYS[:2])
