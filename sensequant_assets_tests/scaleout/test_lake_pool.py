"""The DuckLake deployment's pool: raised with the documented command on the Postgres instance,
four runs' warehouse steps then run at once, and every row is stored once."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.warehouse.resources import WAREHOUSE_POOL
from sensequant_assets_tests.faults.processes import four_concurrent_runs_write_every_row_once
from sensequant_assets_tests.scaleout.test_postgres_instance import postgres_home
from sensequant_assets_tests.support.lakes import fresh_lake
from sensequant_assets_tests.support.postgres import LocalPostgres


def most_at_once(instance: dg.DagsterInstance, step: str) -> int:
    """The largest number of runs whose `step` was executing at the same moment."""
    edges = []
    for run in instance.get_runs():
        for event in instance.all_logs(run.run_id):
            if event.step_key != step:
                continue
            if event.dagster_event_type == dg.DagsterEventType.STEP_START:
                edges.append((event.timestamp, 1))
            elif event.dagster_event_type == dg.DagsterEventType.STEP_SUCCESS:
                edges.append((event.timestamp, -1))
    running = peak = 0
    for _, change in sorted(edges, key=lambda edge: (edge[0], edge[1])):
        running += change
        peak = max(peak, running)
    return peak


@pytest.mark.slow
def test_a_raised_pool_lets_four_runs_write_the_lake_at_once(
    tmp_path: Path, postgres_env: dict[str, str], postgres_server: LocalPostgres
) -> None:
    home = postgres_home(tmp_path / "home")
    subprocess.run(  # as docs/deploy.md tells a DuckLake deployment to
        [
            str(Path(sys.executable).with_name("dagster")),
            "instance",
            "concurrency",
            "set",
            WAREHOUSE_POOL,
            "4",
        ],
        env={**os.environ, "DAGSTER_HOME": str(home)},
        check=True,
        capture_output=True,
    )
    lake = fresh_lake(postgres_server, tmp_path)
    four_concurrent_runs_write_every_row_once(tmp_path, home, lock_timeout=0, warehouse=lake)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 4
        # With the project's limit of 1 this is exactly 1 (the pool holds); 4 here (2026-12-01).
        assert most_at_once(instance, "daily_bars") >= 2
