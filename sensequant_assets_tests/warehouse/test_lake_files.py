"""Each lake owns its files: a data path per lake, marked at creation, never shared; reclaim
deletes only this lake's DuckLake files, and never a file a writer that has not committed will
reference, whatever the clocks say."""

import datetime as dt
import json
import os
import time
import uuid
from pathlib import Path

import pytest

from sensequant_assets.paths import DATA_DIR
from sensequant_assets.warehouse import lake, storage
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.quality.factories import bars_for
from sensequant_assets_tests.support.lakes import fresh_lake
from sensequant_assets_tests.support.postgres import LocalPostgres
from sensequant_assets_tests.warehouse.test_lake import warehouse_process
from sensequant_assets_tests.warehouse.test_storage import DAYS_2023

AAA = storage.bars_partition("AAA", 2023)
TWO_DAYS_AGO = time.time() - 2 * 86400


def write_aaa(warehouse: WarehouseResource, close: float) -> None:
    with warehouse.get_connection() as conn, storage.transaction(conn, [AAA]):
        storage.replace_bars(conn, "AAA", 2023, bars_for("AAA", DAYS_2023, close=close))


def current_files(warehouse: WarehouseResource) -> set[Path]:
    with warehouse.get_connection() as conn:
        return {
            Path(path)
            for table in ("daily_bars", "bar_partitions")
            for (path,) in conn.execute(
                f"SELECT data_file FROM ducklake_list_files('{lake.LAKE}', '{table}')"
            ).fetchall()
        }


def listing(root: Path) -> dict[str, bytes]:
    """Every file under `root` with its bytes: what a clean-up may not change."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_by_default_each_lake_has_a_data_path_of_its_own() -> None:
    """The default no longer puts every schema's files in one data/lake folder."""

    def data_path(schema: str) -> str:
        warehouse = WarehouseResource(
            database="unused", backend="ducklake", lake_catalog_schema=schema
        )
        return warehouse.catalog.data_path

    assert data_path("first") == str(DATA_DIR / "lake" / "first")
    assert data_path("first") != data_path("second")


def test_a_second_lake_is_refused_a_data_path_another_lake_marked(
    postgres_server: LocalPostgres, tmp_path: Path
) -> None:
    """Two catalogs (schemas) named onto one folder: the first marks it at creation, the second
    is refused at open, before it creates a catalog or writes a file, naming both lakes; the
    first lake's files and rows stay. Before, both opened, and reclaiming the second deleted
    every file of the first (its next read: file not found)."""
    first = fresh_lake(postgres_server, tmp_path)
    write_aaa(first, 1.0)
    mark = json.loads((Path(first.lake_data_path) / lake.OWNER_FILE).read_text())
    assert mark["schema"] == first.lake_catalog_schema and mark["lake"]
    before = listing(tmp_path / "lake")
    second = first.model_copy(update={"lake_catalog_schema": "second_lake"})
    with pytest.raises(lake.LakeOwnershipError) as refused, second.get_connection():
        pass
    message = str(refused.value)
    assert f"belongs to the DuckLake {first.lake_catalog_schema}" in message
    assert (
        f"not to DuckLake second_lake (catalog in PostgreSQL {second.lake_catalog_user}" in message
    )
    assert "SENSEQUANT_LAKE_DATA_PATH" in message
    assert listing(tmp_path / "lake") == before
    with first.get_connection() as conn:
        assert conn.execute("SELECT count(*), max(close) FROM daily_bars").fetchone() == (5, 1.0)


def test_reclaim_deletes_only_this_lakes_own_orphans(lake_warehouse: WarehouseResource) -> None:
    """Under the data path: a killed writer's DuckLake file (two days old) goes; a model, a
    warehouse file, a list, a notebook's Parquet and a look-alike name, as old, stay byte for
    byte, as do every current and replaced file."""
    for close in (1.0, 2.0):
        write_aaa(lake_warehouse, close)
    root = Path(lake_warehouse.lake_data_path)
    folder = next(iter(current_files(lake_warehouse))).parent
    killed = folder / f"ducklake-{uuid.uuid4()}.parquet"
    strangers = [
        root / "models" / "AAA" / "0.cbm",
        root / "warehouse.duckdb",
        root / "lists" / "nifty.txt",
        folder / "notebook.parquet",
        folder / "ducklake-mine.parquet",
        root / f"ducklake-{uuid.uuid4()}.parquet.bak",
    ]
    for path in [killed, *strangers]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"PAR1 " + path.name.encode())
        os.utime(path, (TWO_DAYS_AGO, TWO_DAYS_AGO))
    kept = {name: data for name, data in listing(root).items() if not name.endswith(killed.name)}

    with lake_warehouse.get_connection() as conn:
        reclaimed = lake.reclaim(conn, keep_snapshots=dt.timedelta(days=7))
    assert reclaimed.orphaned_files_deleted == 1 and not killed.exists()
    assert listing(root) == kept


def test_reclaim_refuses_a_data_path_marked_by_another_lake(
    lake_warehouse: WarehouseResource,
) -> None:
    """The mark is read again before anything is deleted."""
    write_aaa(lake_warehouse, 1.0)
    root = Path(lake_warehouse.lake_data_path)
    orphan = root / "main" / "daily_bars" / f"ducklake-{uuid.uuid4()}.parquet"
    orphan.write_bytes(b"PAR1")
    os.utime(orphan, (TWO_DAYS_AGO, TWO_DAYS_AGO))
    mark = root / lake.OWNER_FILE
    other = {**json.loads(mark.read_text()), "schema": "other_lake", "lake": str(uuid.uuid4())}
    mark.write_text(json.dumps(other))
    before = listing(root)
    with (
        lake_warehouse.get_connection() as conn,
        pytest.raises(lake.LakeOwnershipError, match="belongs to the DuckLake other_lake"),
    ):
        lake.reclaim(conn, keep_snapshots=dt.timedelta(0), grace=dt.timedelta(0))
    assert listing(root) == before


# A writer in a process of its own, stopping at each point of its transaction until told to go.
WRITER = """
import sys
from sensequant_assets.warehouse import storage
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.quality.factories import bars_for
from sensequant_assets_tests.warehouse.test_storage import DAYS_2023

def point(name):
    print(name, flush=True)
    sys.stdin.readline()

warehouse = WarehouseResource.model_validate_json(sys.argv[1])
point("before")
with warehouse.get_connection() as conn:
    with storage.transaction(conn, [storage.bars_partition("AAA", 2023)]):
        point("locked")
        storage.replace_bars(conn, "AAA", 2023, bars_for("AAA", DAYS_2023, close=9.0))
        point("written")
    point("committed")
"""
POINTS = ("before", "locked", "written", "committed")


@pytest.mark.parametrize("stop", POINTS)
def test_reclaim_never_deletes_the_files_of_a_writer_in_flight(
    postgres_server: LocalPostgres, tmp_path: Path, stop: str
) -> None:
    """A writer stopped at each point of its transaction while the lake is reclaimed with no
    grace at all (as when the storage's clock runs days ahead of the job host's, or the writer,
    like `migrate-to-lake`, runs for days): in flight, reclaim waits for it and then gives up
    deleting nothing; before or after, reclaim runs. Either way the writer commits and every
    current file exists. Before, reclaim deleted the file the writer had written, the writer
    committed a snapshot that names it, and the partition could no longer be read."""
    warehouse = fresh_lake(postgres_server, tmp_path, lock_timeout_seconds=1)
    write_aaa(warehouse, 1.0)
    process = warehouse_process(WRITER, warehouse)
    try:
        assert process.stdout is not None and process.stdin is not None
        for point in POINTS:
            assert process.stdout.readline().strip() == point
            if point == stop:
                with warehouse.get_connection() as conn:
                    if point in ("locked", "written"):
                        with pytest.raises(lake.WriterBusyError, match="was held by another"):
                            lake.reclaim(conn, dt.timedelta(0), grace=dt.timedelta(0))
                    else:
                        lake.reclaim(conn, dt.timedelta(0), grace=dt.timedelta(0))
            process.stdin.write("go\n")
            process.stdin.flush()
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-2000:]
    finally:
        process.kill()
    assert all(path.exists() for path in current_files(warehouse))
    with warehouse.get_connection() as conn:
        assert conn.execute("SELECT count(*), max(close) FROM daily_bars").fetchone() == (5, 9.0)
        for _ in range(2):  # nothing in flight now: expire, then delete what expired
            lake.reclaim(conn, dt.timedelta(0), grace=dt.timedelta(0))
        assert conn.execute("SELECT count(*), max(close) FROM daily_bars").fetchone() == (5, 9.0)
    assert set(Path(warehouse.lake_data_path).rglob("*.parquet")) == current_files(warehouse)
