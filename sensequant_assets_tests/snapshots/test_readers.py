"""A notebook on the snapshots never blocks a writer, and never sees a partition half-written."""

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.cli import LAUNCH_BACKFILL, register_symbols
from sensequant_assets.paths import REPO_ROOT
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.warehouse.resources import WarehouseLockedError, WarehouseResource
from sensequant_assets.warehouse.snapshots import connect_snapshots
from sensequant_assets_tests.defs.ingestion.test_assets import ingest
from sensequant_assets_tests.faults.processes import (
    SYMBOLS,
    YEAR,
    finish,
    generations_by_partition,
    start_run,
)
from sensequant_assets_tests.faults.test_concurrency import notebook
from sensequant_assets_tests.snapshots.helpers import differences
from sensequant_assets_tests.snapshots.reader import PER_PARTITION as READ_PER_PARTITION
from sensequant_assets_tests.support.dagster_dev import (
    DAEMON_BOUND,
    all_finished,
    dagster_dev,
    wait_for,
)

GENERATIONS = 3
READER = "sensequant_assets_tests.snapshots.reader"


@contextmanager
def reader(root: Path, stop: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", READER, "--root", str(root), "--stop", str(stop)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "reading"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.slow  # four run processes in sequence, each importing Dagster: about 40 s here
def test_a_reader_throughout_a_backfill_never_blocks_it_and_sees_every_partition_whole(
    tmp_path: Path,
) -> None:
    """Generation 1 seeds 20 partitions; a reader process then reads every partition in a loop
    while one run process writes generations 2 to 4 over them with a lock wait of 1 s, far less
    than it would wait for a notebook holding the warehouse. Each generation's bars carry its
    number as their volume, so a partition mixing rows of two writes would show two numbers."""
    warehouse = tmp_path / "warehouse.duckdb"
    code, out = finish(start_run(warehouse, tmp_path / "seed.log"), timeout=300)
    assert code == 0 and "COMMITTED 1" in out, out
    root = warehouse.with_suffix(".snapshots")
    stop = tmp_path / "stop"
    with reader(root, stop) as notebook_process:
        backfill = start_run(
            warehouse,
            tmp_path / "backfill.log",
            generations=GENERATIONS,
            first_generation=2,
            lock_timeout=1.0,
        )
        code, out = finish(backfill, timeout=600)
        stop.touch()
        report_line, _ = notebook_process.communicate(timeout=120)
    last = GENERATIONS + 1
    assert code == 0, f"{out}\n{(tmp_path / 'backfill.log').read_text()[-3000:]}"
    assert all(f"COMMITTED {g}" in out for g in range(2, last + 1)), out
    report = json.loads(report_line)
    assert report["error_count"] == 0, report["errors"]
    sessions = {s: count for s, (_, count) in generations_by_partition(warehouse).items()}
    keys = {f"{symbol}|{YEAR}" for symbol in SYMBOLS}
    assert set(report["seen"]) == keys
    for key, observations in report["seen"].items():
        for count, low, high in observations:
            assert low == high, f"{key} mixed generations {low} and {high}"
            assert count == sessions[key.split("|")[0]], f"{key}: {count} rows, a partial slice"
    generations = {low for values in report["seen"].values() for _, low, _ in values}
    assert {1, last} <= generations
    assert report["last"] == {key: [sessions[key.split("|")[0]], last, last] for key in keys}
    assert differences(WarehouseResource(database=str(warehouse)), root) == {}


def test_the_reader_never_opens_the_warehouse_file(
    instance: dg.DagsterInstance, warehouse: WarehouseResource, synthetic_source: SyntheticSource
) -> None:
    """With another process holding the warehouse read-write, which locks out any other opener,
    the snapshots still open and answer; and the reader's process holds no handle on the file."""
    assert ingest(instance, warehouse, synthetic_source).success
    root = Path(warehouse.database).with_suffix(".snapshots")
    with notebook(warehouse.database, read_only=False):
        conn = connect_snapshots(root)
        try:
            assert conn.execute("SELECT count(*) FROM daily_bars").fetchone()[0] > 0
            opened = {str(link.resolve()) for link in Path("/proc/self/fd").iterdir()}
            assert not any(name.startswith(warehouse.database) for name in opened)
            holding = WarehouseResource(database=warehouse.database, lock_timeout_seconds=0.5)
            with pytest.raises(WarehouseLockedError), holding.get_connection():
                pass
        finally:
            conn.close()


@pytest.mark.slow  # dagster dev and the backfill daemon's 30 s passes: about two minutes here
@pytest.mark.xdist_group(DAEMON_BOUND)
def test_a_reader_open_throughout_a_daemon_backfill_sees_each_partition_old_or_new(
    tmp_path: Path,
) -> None:
    """The backfill a user launches from the UI: the webserver, the daemon and its run workers
    replace ten daily_bars partitions (seeded earlier with volume 1 by a run process) while a
    reader process reads the snapshots in a loop. Every read shows each partition exactly as
    seeded or exactly as the backfill left it."""
    warehouse = tmp_path / "warehouse.duckdb"
    symbols = SYMBOLS[:10]
    code, out = finish(start_run(warehouse, tmp_path / "seed.log", symbols), timeout=300)
    assert code == 0 and "COMMITTED 1" in out, out
    keys = [f"{symbol}|{YEAR}" for symbol in symbols]
    root = warehouse.with_suffix(".snapshots")
    stop = tmp_path / "stop"
    with dagster_dev(tmp_path) as server:
        register_symbols(server.url, symbols)
        with reader(root, stop) as notebook_process:
            params = {
                "partitionNames": keys,
                "assetSelection": [{"path": ["daily_bars"]}],
                "title": "snapshot readers",
            }
            launched = server.query(LAUNCH_BACKFILL, params=params)["launchPartitionBackfill"]
            assert launched["__typename"] == "LaunchBackfillSuccess", launched
            statuses = wait_for(
                "the backfill", lambda: all_finished(server, [launched["backfillId"]]), 600, server
            )
            stop.touch()
            report_line, _ = notebook_process.communicate(timeout=120)
    assert set(statuses.values()) == {"COMPLETED_SUCCESS"}, statuses
    report = json.loads(report_line)
    assert report["error_count"] == 0, report["errors"]
    with WarehouseResource(database=str(warehouse)).get_connection() as conn:
        new = {
            key: [count, low, high]
            for key, count, low, high in conn.execute(READ_PER_PARTITION).fetchall()
        }
    assert set(new) == set(keys) and all(low != 1 for _, low, _ in new.values())
    for key, observations in report["seen"].items():
        old = [new[key][0], 1, 1]
        assert all(seen in (old, new[key]) for seen in observations), (key, observations)
    assert all(len(observations) == 2 for observations in report["seen"].values())
    assert report["last"] == new
