"""The disk or the warehouse file not writable: a clear error and no partial state.

Tests run as root in CI, where chmod stops nothing. Each fault here binds root too: a path whose
parent is a regular file, a directory where the file should be, a full disk (RLIMIT_FSIZE in a
real run process), and a file without write permission opened by an unprivileged user (when the
suite runs as root, that attempt runs in a child process that drops to `nobody`).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.defs.ingestion.assets import symbol_mapping
from sensequant_assets.paths import REPO_ROOT, ProjectPaths
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.defs.ingestion.test_assets import SYMBOLS as INGEST_SYMBOLS
from sensequant_assets_tests.faults.processes import (
    SYMBOLS,
    child_env,
    finish,
    generations_by_partition,
    start_run,
)


def tree(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else None
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("layout", ["parent is a file", "warehouse is a directory"])
def test_an_impossible_warehouse_path_fails_clearly_and_creates_nothing(
    tmp_path: Path, instance: dg.DagsterInstance, synthetic_source, layout: str
):
    area = tmp_path / "area"
    area.mkdir()
    if layout == "parent is a file":
        (area / "data").write_text("not a folder")
        database, expected = area / "data" / "warehouse.duckdb", f"{area / 'data'} is a file"
    else:
        (area / "warehouse.duckdb").mkdir()
        database, expected = area / "warehouse.duckdb", "Is a directory"
    before = tree(area)
    instance.add_dynamic_partitions("symbols", INGEST_SYMBOLS)
    result = dg.materialize(
        [symbol_mapping],
        instance=instance,
        raise_on_error=False,
        resources={
            "warehouse": WarehouseResource(database=str(database)),
            "bar_source": synthetic_source,
            "paths": ProjectPaths(),
        },
        tags=range_tags(INGEST_SYMBOLS[0], INGEST_SYMBOLS[-1]),
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.event_specific_data.error.cause.message
    assert "WarehouseUnavailableError" in message and expected in message
    assert "SENSEQUANT_WAREHOUSE" in message
    assert tree(area) == before


@pytest.mark.slow
def test_a_full_disk_fails_the_run_and_keeps_the_previous_rows(tmp_path: Path):
    warehouse = tmp_path / "warehouse.duckdb"
    run = start_run(warehouse, tmp_path / "run.log", generations=2, disk_full_at_last=True)
    returncode, stdout = finish(run)
    assert returncode == 1 and "COMMITTED 1" in stdout
    [failed] = [line for line in stdout.splitlines() if line.startswith("FAILED")]
    assert failed.startswith("FAILED 2 ") and "WarehouseWriteError" in failed
    assert str(warehouse) in failed and "File too large" in failed
    assert "Nothing from this step was stored" in failed and "Free disk space" in failed
    stored = generations_by_partition(warehouse)
    assert set(stored) == set(SYMBOLS)
    assert {g for generations, _ in stored.values() for g in generations} == {1}


def test_a_warehouse_file_the_user_cannot_write_fails_clearly(tmp_path: Path) -> None:
    """A read-only file and folder. As root, the attempt runs without CAP_DAC_OVERRIDE (setpriv),
    so the permission bits bind it as they bind any user."""
    folder = tmp_path / "readonly"
    database = folder / "warehouse.duckdb"
    with WarehouseResource(database=str(database)).get_connection():
        pass
    database.chmod(0o444)
    folder.chmod(0o555)
    before = tree(folder)
    script = (
        "from sensequant_assets.warehouse.resources import WarehouseResource\n"
        f"with WarehouseResource(database={str(database)!r}).get_connection():\n"
        "    pass\n"
    )
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "running as root needs util-linux setpriv to drop CAP_DAC_OVERRIDE"
        caps = "-dac_override,-dac_read_search"
        prefix = [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}"]
    attempt = subprocess.run(
        [*prefix, sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=child_env(tmp_path / "deployment"),
        text=True,
        capture_output=True,
        timeout=120,
    )
    folder.chmod(0o755)
    assert attempt.returncode != 0
    assert "WarehouseUnavailableError: Cannot open the warehouse" in attempt.stderr
    assert "Permission denied" in attempt.stderr and "writable" in attempt.stderr
    assert tree(folder) == before
