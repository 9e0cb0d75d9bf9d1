"""A run process killed with SIGKILL while it writes daily_bars: old rows or new rows, never half.

Each test starts a real run process (run_child: `dg.materialize` of symbol_mapping then
daily_bars over 20 symbol-year partitions of one warehouse) and kills it for real with SIGKILL,
once on a DuckDB file and once on a DuckLake (`any_warehouse`).
Every partition's rows carry the generation that wrote them (as volume), so after the kill the
warehouse, opened as the next run opens it, must hold exactly one generation everywhere (the
run's partitions share one transaction) with every session present, and a re-run must complete.
"""

import signal
import time
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.defs.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource
from sensequant_assets_tests.conftest import synthetic_at_fixed_now
from sensequant_assets_tests.faults.processes import (
    SYMBOLS,
    YEAR,
    Warehouse,
    duplicate_keys,
    finish,
    generations_by_partition,
    project_instance,
    start_run,
)
from sensequant_assets_tests.faults.run_child import generation_source

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sessions() -> int:
    source = synthetic_at_fixed_now()
    return len(source.fetch_year(source.lookup(SYMBOLS[0], SYMBOLS[0]), YEAR).bars)


def assert_one_generation(warehouse: Warehouse, sessions: int, allowed: set[int]) -> int:
    stored = generations_by_partition(warehouse)
    assert set(stored) == set(SYMBOLS)
    generations = set().union(*(generations for generations, _ in stored.values()))
    assert len(generations) == 1 and generations <= allowed, stored
    assert {count for _, count in stored.values()} == {sessions}
    assert duplicate_keys(warehouse) == 0
    return generations.pop()


def test_sigkill_inside_the_write_transaction_keeps_the_old_rows(
    tmp_path: Path, sessions: int, any_warehouse: WarehouseResource
):
    """Killed after replacing 10 partitions and deleting the 11th's rows, before COMMIT."""
    home = project_instance(tmp_path / "dagster_home")
    warehouse = any_warehouse
    killed = start_run(
        warehouse, tmp_path / "killed.log", dagster_home=home, generations=2, kill_self_after=10
    )
    returncode, stdout = finish(killed)
    assert returncode == -signal.SIGKILL, (tmp_path / "killed.log").read_text()[-3000:]
    assert "COMMITTED 1" in stdout and "BEGIN 2" in stdout and "END 2" not in stdout

    assert assert_one_generation(warehouse, sessions, {1, 2}) == 1

    # Dagster's side: nothing marks the dead run, and its `warehouse` pool slot stays claimed.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        [dead] = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        holders = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots
        assert [slot.run_id for slot in holders] == [dead.run_id]
        # What the docs tell the user to do (or run monitoring does with max_runtime_seconds
        # and free_slots_after_run_end_seconds): mark the run failed, free its slot.
        instance.report_run_failed(dead)
        instance.event_log_storage.free_concurrency_slots_for_run(dead.run_id)

        # The re-run, on the same instance and warehouse (in this process: it is the same code).
        rerun = dg.materialize(
            [daily_bars, symbol_mapping.to_source_asset()],
            instance=instance,
            selection=[daily_bars],
            resources={
                "warehouse": warehouse,
                "bar_source": generation_source(3),
                "paths": ProjectPaths(),
            },
            tags=range_tags(f"{SYMBOLS[0]}|{YEAR}", f"{SYMBOLS[-1]}|{YEAR}"),
        )
        assert rerun.success
    assert assert_one_generation(warehouse, sessions, {3}) == 3


@pytest.mark.parametrize("fraction", [0.5, 1.0])
def test_sigkill_at_points_across_the_transaction_and_commit(
    tmp_path: Path, sessions: int, fraction: float, any_warehouse: WarehouseResource
):
    """Killed from outside at a fixed fraction of the previous generation's transaction time,
    measured from the moment generation 2 began its transaction: inside the writes, inside the
    COMMIT, or just after it. Whichever it was, one generation is stored, whole (the first test
    proves the re-run)."""
    warehouse = any_warehouse
    log = tmp_path / "killed.log"
    run = start_run(warehouse, log, generations=0)
    assert run.stdout is not None
    marks: dict[str, float] = {}
    while "BEGIN 2" not in marks:
        line = run.stdout.readline().strip()
        assert line, f"the run ended early:\n{log.read_text()[-3000:]}"
        assert not line.startswith("FAILED"), line
        marks[line] = time.monotonic()
    window = marks["END 1"] - marks["BEGIN 1"]
    time.sleep(window * fraction)
    run.send_signal(signal.SIGKILL)
    returncode, rest = finish(run)
    assert returncode == -signal.SIGKILL
    committed_before_kill = "END 2" in rest

    allowed = {2} if committed_before_kill else {1, 2}
    print(f"fraction {fraction}: killed {'after' if committed_before_kill else 'before'} END 2")
    assert_one_generation(warehouse, sessions, allowed)
