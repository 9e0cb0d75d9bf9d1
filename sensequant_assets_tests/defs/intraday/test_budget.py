"""A backfill that meets the daily call cap pauses, shows the budget, and resumes by itself the
next (simulated) day, paying for no page twice.

The source is the synthetic one paid for like Breeze: each symbol-month is ceil(candles / 1000)
pages, each page a call through the real installation-wide limiter (sqlite, rolling 24 h, the
reserve), on a clock the test moves a day ahead; pages fetched are kept on disk, so a resumed
fetch pays only for the pages it lacks, as the Breeze page cache does.
"""

import json
import math
import time
from pathlib import Path

import dagster as dg
import pandas as pd

from sensequant_assets.definitions import defs
from sensequant_assets.defs.intraday.assets import PAUSED_PARTITIONS, PAUSED_STATUS, RESUME_AT
from sensequant_assets.defs.intraday.jobs import intraday_checks_job
from sensequant_assets.defs.intraday.sensors import (
    RESUMES_TAG,
    intraday_resume_sensor,
    written_intraday_checks_sensor,
)
from sensequant_assets.defs.partitions import symbol_month_partitions
from sensequant_assets.sources.base import SymbolMapping
from sensequant_assets.sources.breeze.candles import CANDLE_CAP
from sensequant_assets.sources.breeze.limiter import BudgetState, RateLimiter
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets_tests.conftest import FIXED_NOW
from sensequant_assets_tests.defs.intraday.test_assets import (
    INTRADAY,
    KEYS,
    fetch_intraday,
    prepare,
    resources,
)

DAY = 86_400.0
CAP = 20  # calls a day: 2024-03 is 7 pages a symbol, so the cap falls inside the third symbol


class PagedSynthetic(SyntheticSource):
    """Synthetic candles that cost one limiter call per 1000-candle page (see the module doc)."""

    work_dir: str
    calls_per_day: int = CAP
    reserve: int = 0
    clock_shift_seconds: float = 0.0
    """How far the limiter's clock runs ahead of the system's: a day later, in tests."""

    def _limiter(self) -> RateLimiter:
        return RateLimiter(
            path=Path(self.work_dir) / "limiter.sqlite",
            calls_per_day=self.calls_per_day,
            reserve=self.reserve,
            max_wait_seconds=5,
            clock=lambda: time.time() + self.clock_shift_seconds,
        )

    def budget_state(self) -> BudgetState:
        return self._limiter().budget_state()

    @property
    def ledger(self) -> Path:
        return Path(self.work_dir) / "pages.json"

    def pages(self) -> list[list[object]]:
        return json.loads(self.ledger.read_text()) if self.ledger.exists() else []

    def fetch_intraday(self, mapping: SymbolMapping, month, interval: str) -> pd.DataFrame:
        bars = super().fetch_intraday(mapping, month, interval)
        partition = f"{month:%Y-%m}|{mapping.symbol}"
        done = {page for key, page in self.pages() if key == partition}
        for page in range(math.ceil(len(bars) / CANDLE_CAP)):
            if page in done:
                continue
            with self._limiter().slot("bulk"):
                self.ledger.write_text(json.dumps([*self.pages(), [partition, page]]))
        return bars


def paged(tmp_path: Path, clock_shift_seconds: float = 0.0) -> PagedSynthetic:
    return PagedSynthetic(
        work_dir=str(tmp_path / "breeze"),
        as_of=FIXED_NOW.isoformat(),
        clock_shift_seconds=clock_shift_seconds,
    )


def tick(instance: dg.DagsterInstance, source: PagedSynthetic, cursor: str | None):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs(), resources={"bar_source": source}
    )
    return intraday_resume_sensor.evaluate_tick(context)


def test_a_backfill_at_the_cap_pauses_and_resumes_the_next_day(instance, warehouse, tmp_path):
    source = paged(tmp_path)
    prepare(instance, warehouse, source)

    first = fetch_intraday(instance, warehouse, source)

    assert not first.success
    statuses = instance.get_status_by_partition(INTRADAY, KEYS, symbol_month_partitions)
    fetched, paused = KEYS[:2], KEYS[2:]  # 7 + 7 pages; the third meets the cap at its 7th
    assert [statuses[k] for k in fetched] == [dg.AssetPartitionStatus.MATERIALIZED] * 2
    assert [statuses[k] for k in paused] == [dg.AssetPartitionStatus.FAILED] * 2
    [failure] = [e for e in first.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    data = failure.step_failure_data.user_failure_data
    assert "2 of 4 intraday_bars partitions paused: the daily call budget is spent" in (
        data.description
    )
    assert list(data.metadata[PAUSED_PARTITIONS].value) == paused
    resume_at = data.metadata[RESUME_AT].value
    observations = instance.fetch_observations(
        dg.AssetRecordsFilter(asset_key=INTRADAY, asset_partitions=paused), limit=10
    ).records
    assert {
        r.partition_key: r.asset_observation.metadata["status"].value for r in observations
    } == (dict.fromkeys(paused, PAUSED_STATUS))
    assert len(source.pages()) == CAP
    [budget] = [
        r.asset_observation.metadata
        for r in instance.fetch_observations(INTRADAY, limit=20).records
        if r.partition_key is None
    ]
    assert budget["calls_used"].value == CAP and budget["calls_left_for_intraday"].value == 0
    assert budget["intraday_resumes_at"].value.endswith(" IST")
    with warehouse.get_connection() as conn:
        stored = conn.execute("SELECT DISTINCT symbol FROM intraday_bars ORDER BY 1").fetchall()
    assert stored == [("INFY",), ("RELIANCE",)]

    # The same day: the sensor's tick states the budget and launches nothing.
    waiting = tick(instance, source, None)
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
    source = paged(tmp_path, clock_shift_seconds=DAY + 120)
    resumed = tick(instance, source, waiting.cursor)
    [request] = resumed.run_requests
    assert request.tags[RESUMES_TAG] == "2"
    subset = request.asset_graph_subset.partitions_subsets_by_asset_key[INTRADAY]
    assert sorted(subset.get_partition_keys()) == sorted(paused)

    # The backfill's run (executed here in-process) fetches only the pages still missing.
    second = fetch_intraday(instance, warehouse, source, paused)
    assert second.success
    pages = source.pages()
    assert len(pages) == len({tuple(p) for p in pages}) == 28, "no page fetched twice"
    statuses = instance.get_status_by_partition(INTRADAY, KEYS, symbol_month_partitions)
    assert set(statuses.values()) == {dg.AssetPartitionStatus.MATERIALIZED}
    done = tick(instance, source, resumed.cursor)
    assert not done.run_requests and "no intraday partition paused" in done.skip_message


def test_the_partitions_a_paused_run_wrote_are_checked(instance, warehouse, tmp_path):
    source = paged(tmp_path)
    prepare(instance, warehouse, source)
    failed = fetch_intraday(instance, warehouse, source)
    context = dg.build_run_status_sensor_context(
        sensor_name=written_intraday_checks_sensor.name,
        dagster_event=failed.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=failed.dagster_run,
    ).for_run_failure()
    [request] = written_intraday_checks_sensor(context)
    assert (
        request.tags["dagster/asset_partition_range_start"],
        request.tags["dagster/asset_partition_range_end"],
    ) == ("2024-03|RELIANCE", "2024-03|INFY")
    job = defs().resolve_job_def(intraday_checks_job.name)
    run = job.execute_in_process(
        instance=instance, resources=resources(warehouse, source), tags=request.tags
    )
    checked = {
        e.asset_check_evaluation_data.partition
        for e in run.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    }
    assert checked == {"2024-03|RELIANCE", "2024-03|INFY"}
