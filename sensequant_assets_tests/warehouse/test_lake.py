"""What only the DuckLake backend has: commit conflicts, its extensions, its catalog's password,
and many processes opening a fresh lake at once."""

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import pandas as pd
import psycopg2
import pytest

from sensequant_assets.defs import resources as defs_resources
from sensequant_assets.paths import REPO_ROOT
from sensequant_assets.warehouse import lake, storage
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.quality.factories import bars_for
from sensequant_assets_tests.support.dagster_dev import free_port
from sensequant_assets_tests.support.lakes import fresh_lake
from sensequant_assets_tests.support.postgres import LocalPostgres
from sensequant_assets_tests.warehouse.test_storage import DAYS_2023

MARKER = "pw-MARKER-7f3a"
AAA, BBB = storage.bars_partition("AAA", 2023), storage.bars_partition("BBB", 2023)


def warehouse_process(script: str, warehouse: WarehouseResource) -> subprocess.Popen[str]:
    """`script` in a process of its own, as a run or a notebook is, with the warehouse's settings
    as sys.argv[1] and pipes to talk to it."""
    return subprocess.Popen(
        [sys.executable, "-c", script, warehouse.model_dump_json()],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_commit_conflict_is_a_clear_error_and_is_retried(lake_warehouse: WarehouseResource):
    """Two writers of different partitions whose rows share one data file (as after a
    migration or a compaction): the second commit conflicts, nothing of it is stored, and
    `conflict_retries` runs its transaction again, which then commits."""
    both = pd.concat([bars_for("AAA", DAYS_2023), bars_for("BBB", DAYS_2023)])
    with lake_warehouse.get_connection() as conn, storage.transaction(conn):
        conn.append("daily_bars", both, by_name=True)  # one INSERT: one file
    with lake_warehouse.get_connection() as first, lake_warehouse.get_connection() as second:
        with (
            pytest.raises(lake.WarehouseConflictError) as conflict,
            storage.transaction(second, [BBB]),
        ):
            storage.replace_bars(second, "BBB", 2023, bars_for("BBB", DAYS_2023, close=2.0))
            with storage.transaction(first, [AAA]):  # begins and commits while `second` is open
                storage.replace_bars(first, "AAA", 2023, bars_for("AAA", DAYS_2023, 1.0))
        message = str(conflict.value)
        assert "Another writer committed first to the same DuckLake data files" in message
        assert "Nothing from this step was stored" in message and "re-run the step" in message
        tries = 0
        for attempt in lake.conflict_retries(first_wait_seconds=0.01):
            with attempt, storage.transaction(second, [BBB]):
                tries += 1
                storage.replace_bars(second, "BBB", 2023, bars_for("BBB", DAYS_2023, close=2.0))
        assert tries == 1
        closes = dict(
            second.execute("SELECT symbol, max(close) FROM daily_bars GROUP BY ALL").fetchall()
        )
    assert closes == {"AAA": 1.0, "BBB": 2.0}


def test_conflict_retries_give_up_with_the_last_conflict() -> None:
    tries = 0
    with pytest.raises(lake.WarehouseConflictError, match="third"):
        for attempt in lake.conflict_retries(attempts=3, first_wait_seconds=0.001):
            with attempt:
                tries += 1
                raise lake.WarehouseConflictError(["first", "second", "third"][tries - 1])
    assert tries == 3


def test_a_missing_extension_package_is_named_with_what_to_install(
    lake_warehouse: WarehouseResource, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(lake.EXTENSION_PACKAGES, "ducklake", "duckdb-ext-not-installed")
    with pytest.raises(lake.LakeUnavailableError) as missing, lake_warehouse.get_connection():
        pass
    assert "'ducklake', shipped by the PyPI package duckdb-ext-not-installed" in str(missing.value)
    assert "never downloaded" in str(missing.value)


def test_an_unreachable_catalog_fails_clearly_without_its_password(tmp_path: Path) -> None:
    port = free_port()
    warehouse = WarehouseResource(
        database="unused",
        backend="ducklake",
        lake_data_path=str(tmp_path / "lake"),
        lake_catalog_port=port,
        lake_catalog_password=MARKER,
    )
    with pytest.raises(lake.LakeUnavailableError) as refused, warehouse.get_connection():
        pass
    error = refused.value
    catalog = f"DuckLake sensequant_lake (catalog in PostgreSQL postgres@127.0.0.1:{port}/dagster"
    assert f"Cannot open the warehouse {catalog}" in str(error)
    assert "make postgres-start" in str(error) and "DAGSTER_PG_PASSWORD" in str(error)
    assert error.__cause__ is None and error.__context__ is None
    assert MARKER not in str(error)


def test_the_password_is_stored_nowhere(postgres_server: LocalPostgres, tmp_path: Path) -> None:
    """The local server trusts every connection, so the marker password is accepted and then
    looked for in every catalog row and every data file."""
    warehouse = fresh_lake(postgres_server, tmp_path, lake_catalog_password=MARKER)
    with warehouse.get_connection() as conn, storage.transaction(conn, [AAA]):
        storage.bind_origin(conn, "synthetic", warehouse.location)
        storage.replace_bars(conn, "AAA", 2023, bars_for("AAA", DAYS_2023))
    assert MARKER not in warehouse.location
    catalog = psycopg2.connect(
        host=warehouse.lake_catalog_host,
        port=warehouse.lake_catalog_port,
        user=warehouse.lake_catalog_user,
        dbname=warehouse.lake_catalog_db,
    )
    try:
        with catalog.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                [warehouse.lake_catalog_schema],
            )
            tables = [name for (name,) in cursor.fetchall()]
            assert "ducklake_data_file" in tables
            for table in tables:
                cursor.execute(f'SELECT * FROM "{warehouse.lake_catalog_schema}"."{table}"')
                assert MARKER not in repr(cursor.fetchall()), table
    finally:
        catalog.close()
    files = [path for path in (tmp_path / "lake").rglob("*") if path.is_file()]
    assert files and not any(MARKER.encode() in path.read_bytes() for path in files)


def test_processes_opening_a_fresh_lake_at_once_all_get_it(
    postgres_server: LocalPostgres, tmp_path: Path
) -> None:
    """The first ATTACH of a lake creates its catalog; four processes doing it at the same
    instant collided on PostgreSQL's unique indexes (3 of 4 failed in a probe) until `attach`
    retried the losers."""
    warehouse = fresh_lake(postgres_server, tmp_path)
    opener = (
        "import sys\n"
        "from sensequant_assets.warehouse.resources import WarehouseResource\n"
        "warehouse = WarehouseResource.model_validate_json(sys.argv[1])\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
        "with warehouse.get_connection() as conn:\n"
        "    print(conn.execute('SELECT count(*) FROM daily_bars').fetchone()[0])\n"
    )
    processes = [warehouse_process(opener, warehouse) for _ in range(4)]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    for process in processes:  # all imported and waiting: release them together
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    outcomes = [process.communicate(timeout=120) for process in processes]
    assert [
        (p.returncode, out.strip()) for p, (out, _) in zip(processes, outcomes, strict=True)
    ] == [(0, "0")] * 4, [err[-2000:] for _, err in outcomes]


def test_the_code_location_selects_the_lake_from_the_environment(
    postgres_server: LocalPostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a deployment selects it: variables only. A run writes through it, the catalog lands
    in the schema named, and the password reaches no event of the run."""
    lake = fresh_lake(postgres_server, tmp_path)
    environment = {
        "SENSEQUANT_WAREHOUSE_BACKEND": "ducklake",
        "SENSEQUANT_LAKE_DATA_PATH": str(tmp_path / "objects"),
        "SENSEQUANT_LAKE_SCHEMA": "bars_lake",
        "DAGSTER_PG_HOST": lake.lake_catalog_host,
        "DAGSTER_PG_PORT": str(lake.lake_catalog_port),
        "DAGSTER_PG_DB": lake.lake_catalog_db,
        "DAGSTER_PG_USER": lake.lake_catalog_user,
        "DAGSTER_PG_PASSWORD": MARKER,  # the test server trusts every login
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    seen: dict[str, object] = {}

    @dg.asset
    def write_through(warehouse: WarehouseResource) -> None:
        seen.update(warehouse.model_dump())
        with warehouse.get_connection() as conn, storage.transaction(conn, [AAA]):
            storage.replace_bars(conn, "AAA", 2023, bars_for("AAA", DAYS_2023))

    result = dg.materialize([write_through], resources={"warehouse": defs_resources.warehouse()})
    assert result.success
    assert seen["backend"] == "ducklake" and seen["lake_catalog_schema"] == "bars_lake"
    assert seen["lake_catalog_port"] == lake.lake_catalog_port
    assert seen["lake_catalog_password"] == MARKER
    assert MARKER not in repr([event.event_specific_data for event in result.all_events])
    resolved = lake.model_copy(
        update={"lake_catalog_schema": "bars_lake", "lake_data_path": str(tmp_path / "objects")}
    )
    with resolved.get_connection() as conn:
        assert conn.execute("SELECT count(*) FROM daily_bars").fetchone() == (len(DAYS_2023),)
    assert list((tmp_path / "objects").rglob("*.parquet"))


def test_a_notebook_reading_the_lake_never_blocks_a_run_and_sees_one_snapshot(
    lake_warehouse: WarehouseResource,
) -> None:
    """Another process holds a read transaction open (a notebook mid-analysis) while this one
    replaces a partition: the write commits at once, the reader keeps seeing its snapshot until
    its transaction ends, then sees the new rows."""
    with lake_warehouse.get_connection() as conn, storage.transaction(conn, [AAA]):
        storage.replace_bars(conn, "AAA", 2023, bars_for("AAA", DAYS_2023))
    reader = (
        "import sys\n"
        "from sensequant_assets.warehouse.resources import WarehouseResource\n"
        "warehouse = WarehouseResource.model_validate_json(sys.argv[1])\n"
        "query = 'SELECT count(*), max(close) FROM daily_bars'\n"
        "with warehouse.get_connection() as conn:\n"
        "    conn.execute('BEGIN TRANSACTION')\n"
        "    print(conn.execute(query).fetchone(), flush=True)\n"
        "    sys.stdin.readline()\n"
        "    print(conn.execute(query).fetchone(), flush=True)\n"
        "    conn.execute('COMMIT')\n"
        "    print(conn.execute(query).fetchone(), flush=True)\n"
    )
    notebook = warehouse_process(reader, lake_warehouse)
    try:
        assert notebook.stdout is not None and notebook.stdin is not None
        assert notebook.stdout.readline().strip() == "(5, 100.0)"
        with lake_warehouse.get_connection() as conn, storage.transaction(conn, [AAA]):
            storage.replace_bars(conn, "AAA", 2023, bars_for("AAA", DAYS_2023[:3], close=7.0))
        notebook.stdin.write("next\n")
        notebook.stdin.flush()
        out, err = notebook.communicate(timeout=120)
    finally:
        notebook.kill()
    assert out.splitlines() == ["(5, 100.0)", "(3, 7.0)"], err[-2000:]


def test_reclaiming_space_keeps_every_current_row_and_spares_a_writer_in_flight(
    lake_warehouse: WarehouseResource,
) -> None:
    """Three generations of one partition leave the replaced files of its two tables behind.
    With no time-travel window kept, a first clean-up expires their snapshots and deletes an
    orphan a killed writer left two days ago, but neither the just-expired files (a reader may
    still be on them) nor a fresh, uncommitted writer's file; one after the grace deletes the
    replaced files, and the lake then holds exactly the files of its current snapshot."""
    for close in (1.0, 2.0, 3.0):
        with lake_warehouse.get_connection() as conn, storage.transaction(conn, [AAA]):
            storage.replace_bars(conn, "AAA", 2023, bars_for("AAA", DAYS_2023, close=close))

    def current_files() -> set[Path]:
        with lake_warehouse.get_connection() as conn:
            return {
                Path(path)
                for table in ("daily_bars", "bar_partitions")
                for (path,) in conn.execute(
                    f"SELECT data_file FROM ducklake_list_files('{lake.LAKE}', '{table}')"
                ).fetchall()
            }

    root = Path(lake_warehouse.lake_data_path)
    current = current_files()
    replaced = set(root.rglob("*.parquet")) - current
    assert len(current) == 2 and len(replaced) == 4  # two tables, two older generations each
    folder = next(iter(current)).parent
    killed, in_flight = (folder / f"ducklake-{uuid.uuid4()}.parquet" for _ in range(2))
    killed.write_bytes(b"PAR1")
    two_days_ago = time.time() - 2 * 86400
    os.utime(killed, (two_days_ago, two_days_ago))
    in_flight.write_bytes(b"PAR1")

    with lake_warehouse.get_connection() as conn:
        first = lake.reclaim(conn, keep_snapshots=dt.timedelta(0), grace=dt.timedelta(hours=1))
    assert first.snapshots_expired >= 2 and first.orphaned_files_deleted == 1
    assert first.replaced_files_deleted == 0
    assert not killed.exists() and in_flight.exists() and all(p.exists() for p in replaced)

    in_flight.unlink()  # its writer committed elsewhere or died; not this test's concern
    with lake_warehouse.get_connection() as conn:
        later = lake.reclaim(conn, keep_snapshots=dt.timedelta(0), grace=dt.timedelta(0))
        stored = conn.execute("SELECT count(*), min(close), max(close) FROM daily_bars").fetchone()
    assert later.replaced_files_deleted == len(replaced)
    assert set(root.rglob("*.parquet")) == current == current_files()
    assert stored == (len(DAYS_2023), 3.0, 3.0)


def test_an_unknown_backend_names_the_variable_to_set(tmp_path: Path) -> None:
    """Refused where the resource is built (at code-location load), not at first connection."""
    with pytest.raises(ValueError, match="SENSEQUANT_WAREHOUSE_BACKEND") as refused:
        WarehouseResource(database=str(tmp_path / "w.duckdb"), backend="ducklke")
    assert "'ducklke' is not one of duckdb, ducklake" in str(refused.value)
    assert not (tmp_path / "w.duckdb").exists()
