"""Several writers on one warehouse: concurrent runs, and a user's notebook holding the file."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from sensequant_assets.defs.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.defs.ingestion.test_assets import ingest, snapshot
from sensequant_assets_tests.faults.processes import (
    four_concurrent_runs_write_every_row_once,
    project_instance,
)
from sensequant_assets_tests.scaleout import claim_child
from sensequant_assets_tests.support.lakes import fresh_lake
from sensequant_assets_tests.support.postgres import LocalPostgres

# `make test` runs the DuckLake variant once; DUCKLAKE_CONCURRENCY_REPEATS=20 repeats it (the
# count in docs/reliability.md).
LAKE_REPEATS = int(os.environ.get("DUCKLAKE_CONCURRENCY_REPEATS", "1"))


@pytest.mark.slow
@pytest.mark.parametrize("through", ["lock wait", "dagster pool"])
def test_four_concurrent_runs_all_succeed_with_every_row_once(tmp_path: Path, through: str):
    """Four OS processes, each a run writing its own partitions of one warehouse file.

    "lock wait": separate ephemeral instances, so only WarehouseResource's bounded wait on
    DuckDB's file lock keeps them apart. "dagster pool": one instance with the project's
    dagster.yaml (pool `warehouse`, limit 1) and a lock wait of 5 s, far shorter than the runs
    take together: without the pool limit this variant fails every time (checked by setting
    default_limit to 100). The wait stays above zero because Dagster's slot bookkeeping on a
    sqlite instance once let two steps overlap for an instant in CI; see docs/reliability.md.
    """
    home = project_instance(tmp_path / "home") if through == "dagster pool" else None
    if home:  # created once, as `dagster dev` does: four first-time creators race its migrations
        dg.DagsterInstance.from_config(str(home)).dispose()
    four_concurrent_runs_write_every_row_once(tmp_path, home, lock_timeout=5.0 if home else 60.0)


@pytest.mark.slow
def test_the_default_instances_pool_grants_its_slot_to_one_claimant_at_a_time(tmp_path: Path):
    """Four processes claim the `probe` pool's one slot at the same instant, round after round,
    on the project's sqlite instance: Dagster's claim would let two through (docs/reliability.md),
    `ExactSlotClaim` one."""
    granted = claim_child.granted_per_round(project_instance(tmp_path / "home"), tmp_path, 4, 16)
    assert max(granted) == 1, f"slot granted more than once at a time: {granted}"
    assert sum(granted) == 16, f"a round in which nobody got the free slot: {granted}"


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(LAKE_REPEATS))
def test_four_concurrent_runs_on_ducklake_need_no_pool(
    tmp_path: Path, postgres_server: LocalPostgres, attempt: int
):
    """The same four run processes on a fresh DuckLake, each on an ephemeral instance of its
    own: no pool, no lock and no wait between them. Each run writes its partitions in one
    transaction, each partition into files of its own, so none conflicts; every partition is
    stored once."""
    lake = fresh_lake(postgres_server, tmp_path)
    four_concurrent_runs_write_every_row_once(tmp_path, None, lock_timeout=0, warehouse=lake)


@contextmanager
def notebook(database: str, read_only: bool) -> Iterator[subprocess.Popen[str]]:
    """Another process with the warehouse open, as a Jupyter kernel would hold it."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"conn = duckdb.connect({database!r}, read_only={read_only})\n"
            "print('open', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "open"
        yield process
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize("read_only", [False, True], ids=["read-write", "read-only"])
def test_a_notebook_holding_the_file_fails_the_run_naming_its_pid(
    instance, warehouse, synthetic_source, paths, read_only: bool
):
    assert ingest(instance, warehouse, synthetic_source).success
    before = snapshot(warehouse)
    impatient = WarehouseResource(database=warehouse.database, lock_timeout_seconds=0.5)
    with notebook(warehouse.database, read_only) as holder:
        result = dg.materialize(
            [daily_bars, symbol_mapping.to_source_asset()],
            instance=instance,
            resources={"warehouse": impatient, "bar_source": synthetic_source, "paths": paths},
            selection=[daily_bars],
            tags=range_tags("INFY|2022", "OBEROI|2022"),
            raise_on_error=False,
        )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.event_specific_data.error.cause.message
    assert "WarehouseLockedError" in message
    holder_named = f"is locked by another process (PID {holder.pid}"
    assert f"The warehouse {warehouse.database} {holder_named}" in message
    assert "was not released within 0.5 s" in message and "Close that connection" in message
    assert snapshot(warehouse) == before
    assert ingest(instance, warehouse, synthetic_source).success


def test_a_new_warehouse_appears_whole_never_as_a_bare_file(tmp_path: Path, monkeypatch):
    """DuckDB creates a new file and writes its header after; a second run opening it in between
    is told it "is not a valid DuckDB database file" (11 of 360 simultaneous opens in a probe
    here, once in CI). So DuckDB must never be the one to create the warehouse at its own path.
    """
    database = tmp_path / "warehouse.duckdb"
    opened_before_it_existed = []
    connect = duckdb.connect

    def watching_connect(target: str, *args, **kwargs) -> duckdb.DuckDBPyConnection:
        if Path(target) == database and not database.exists():
            opened_before_it_existed.append(target)
        return connect(target, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", watching_connect)
    with WarehouseResource(database=str(database)).get_connection() as conn:
        assert conn.execute("select count(*) from bar_partitions").fetchone() == (0,)
    assert opened_before_it_existed == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]
