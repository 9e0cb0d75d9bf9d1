"""Intraday backfills that meet the daily call budget resume by themselves; the budget shows here.

A run that meets the cap pauses its unfetched partitions (an observation on each, with the time
it resumes) and fails its step. A sensor, not a retry inside the run, resumes them: the budget
frees up hours later, and a run kept waiting that long would hold a process and the warehouse
pool, and would not survive a restart; the sensor keeps what is paused in its cursor, restarts
with the daemon, and re-requests exactly the paused partitions, as one backfill, once the
source's budget has calls left for intraday. Every tick states the budget (calls used and left,
the reserve, when intraday resumes), so the sensor's page is where a user reads it.

The run that paused skipped its check step; `written_intraday_checks_sensor` checks the
partitions it did write, as `written_bars_checks_sensor` does for daily bars.
"""

import datetime as dt
import json

import dagster as dg

from sensequant_assets.dagster_internals import backfill_request
from sensequant_assets.defs.batches import written_checks_requests
from sensequant_assets.defs.intraday.assets import intraday_bars
from sensequant_assets.defs.intraday.jobs import intraday_checks_job
from sensequant_assets.defs.keys import INTRADAY_BARS
from sensequant_assets.defs.partitions import symbol_month_partitions, symbols_partitions
from sensequant_assets.sources.base import BarSource
from sensequant_assets.sources.ingest import PAUSED_STATUS, RESUME_AT
from sensequant_assets.sources.intraday_batch import due_to_resume
from sensequant_assets.universe.partitions import (
    checked_month_symbols,
    month_ranges,
    valid_keys,
)

RESUMES_TAG = "sensequant/resumes_paused"
"""Tag of a backfill the sensor launched: how many paused partitions it resumes."""


def _paused_since(
    instance: dg.DagsterInstance, after: int
) -> tuple[dict[str, tuple[str, int]], int]:
    """Pause observations of intraday_bars after storage id `after`: partition -> (resume time,
    storage id), and the last storage id read."""
    found: dict[str, tuple[str, int]] = {}
    cursor, last = None, after
    while True:
        result = instance.fetch_observations(
            dg.AssetRecordsFilter(asset_key=INTRADAY_BARS, after_storage_id=after),
            limit=1000,
            cursor=cursor,
            ascending=True,
        )
        for record in result.records:
            last = max(last, record.storage_id)
            observation = record.asset_observation
            status = observation.metadata.get("status")
            if observation.partition and status is not None and status.value == PAUSED_STATUS:
                resume_at = observation.metadata.get(RESUME_AT)
                found[str(observation.partition)] = (
                    str(resume_at.value) if resume_at else "",
                    record.storage_id,
                )
        if not result.has_more:
            return found, last
        cursor = result.cursor


@dg.sensor(
    name="intraday_resume_sensor",
    asset_selection=dg.AssetSelection.assets(intraday_bars),
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Shows the source's daily call budget on every tick (used, left for intraday, the "
        "reserve for daily refreshes, when intraday resumes) and relaunches the intraday_bars "
        "partitions a run paused at the cap, as one backfill, once the budget allows."
    ),
)
def intraday_resume_sensor(
    context: dg.SensorEvaluationContext, bar_source: BarSource
) -> dg.SensorResult:
    state = json.loads(context.cursor) if context.cursor else {"after": -1, "paused": {}}
    new, after = _paused_since(context.instance, int(state["after"]))
    paused: dict[str, list] = {**state["paused"], **{k: list(v) for k, v in new.items()}}
    # An observation can carry any key (a hand-added partition, the REST API): never resumed.
    kept, refused = valid_keys(paused, checked_month_symbols)
    if refused:
        context.log.warning(f"Paused partitions not resumed: {refused}")
    paused = {k: paused[k] for k in kept}
    # A partition materialized since it paused (by hand, or by an earlier resume) is done.
    latest = context.instance.get_latest_storage_id_by_partition(
        INTRADAY_BARS, dg.DagsterEventType.ASSET_MATERIALIZATION, set(paused)
    )
    paused = {k: v for k, v in paused.items() if latest.get(k, -1) < v[1]}
    budget = bar_source.budget_state()
    now = dt.datetime.now(dt.UTC)
    due = due_to_resume(
        {k: dt.datetime.fromisoformat(v[0]) if v[0] else None for k, v in paused.items()},
        budget,
        now,
    )
    shown = str(budget) if budget is not None else f"{bar_source.name} source: no call budget"
    requests = []
    if due:
        subset = symbol_month_partitions.empty_subset().with_partition_keys(due)
        requests.append(
            backfill_request({INTRADAY_BARS: subset}, set(), {RESUMES_TAG: str(len(due))})
        )
        context.log.info(f"{shown}. Resuming {len(due)} paused intraday partition(s).")
        paused = {k: v for k, v in paused.items() if k not in set(due)}
    cursor = json.dumps({"after": after, "paused": paused}, sort_keys=True)
    if requests:
        return dg.SensorResult(run_requests=requests, cursor=cursor)
    waiting = (
        f"; {len(paused)} intraday partition(s) paused, resuming when the budget allows"
        f" (recorded resume time {min(v[0] for v in paused.values())})"
        if paused
        else "; no intraday partition paused"
    )
    dropped = f". Paused partitions not resumed: {refused}" if refused else ""
    return dg.SensorResult(cursor=cursor, skip_reason=shown + waiting + dropped)


@dg.run_failure_sensor(
    name="written_intraday_checks_sensor",
    request_job=intraday_checks_job,
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "After a run whose intraday_bars step wrote some partitions and paused or failed on "
        "others, runs the intraday checks on exactly the written ones (the failed step "
        "skipped them)."
    ),
)
def written_intraday_checks_sensor(
    context: dg.RunFailureSensorContext,
) -> list[dg.RunRequest] | dg.SkipReason | None:
    def ranges(written: list[str]) -> list[tuple[str, str]]:
        return month_ranges(
            written, context.instance.get_dynamic_partitions(symbols_partitions.name)
        )

    return written_checks_requests(context, intraday_bars.op.name, checked_month_symbols, ranges)
