"""Starting real run processes (run_child) and reading back what they left in the warehouse."""

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from sensequant_assets.paths import REPO_ROOT
from sensequant_assets.warehouse.resources import WarehouseResource

SYMBOLS = tuple(f"FAULT{i:02d}" for i in range(20))
YEAR = 2024

# A DuckDB file by its path, or any warehouse (a DuckLake) as its resource.
Warehouse = Path | WarehouseResource


def as_resource(warehouse: Warehouse) -> WarehouseResource:
    if isinstance(warehouse, WarehouseResource):
        return warehouse
    return WarehouseResource(database=str(warehouse))


def child_env(root: Path, dagster_home: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a process a test starts: a deployment of its own under `root`.

    Every folder the code location reads or writes points there (an empty constituent-list
    folder among them), so a webserver's sensor never picks up the repo's lists and no run a
    test starts writes into the repo's data/.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "DAGSTER_HOME" and not k.startswith("SENSEQUANT_")
    }
    (root / "constituents").mkdir(parents=True, exist_ok=True)
    env.update(
        SENSEQUANT_WAREHOUSE=str(root / "warehouse.duckdb"),
        SENSEQUANT_MODELS_DIR=str(root / "models"),
        SENSEQUANT_REPORTS_DIR=str(root / "reports"),
        SENSEQUANT_CACHE_DIR=str(root / "cache"),
        SENSEQUANT_CONSTITUENTS_DIR=str(root / "constituents"),
        SENSEQUANT_ALERTS_LOG=str(root / "alerts.log"),
        DAGSTER_DISABLE_TELEMETRY="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    if dagster_home is not None:
        env["DAGSTER_HOME"] = str(dagster_home)
    return env


def project_instance(home: Path) -> Path:
    """A Dagster home with the project's own dagster.yaml (the `warehouse` pool, limit 1)."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


def start_run(
    warehouse: Warehouse,
    log: Path,
    symbols: Sequence[str] = SYMBOLS,
    *,
    dagster_home: Path | None = None,
    generations: int = 1,
    first_generation: int = 1,
    kill_self_after: int | None = None,
    disk_full_at_last: bool = False,
    lock_timeout: float = 60.0,
) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "sensequant_assets_tests.faults.run_child",
        "--warehouse",
        as_resource(warehouse).model_dump_json(),
        "--symbols",
        ",".join(symbols),
        "--year",
        str(YEAR),
        "--generations",
        str(generations),
        "--first-generation",
        str(first_generation),
        "--lock-timeout",
        str(lock_timeout),
    ]
    if kill_self_after is not None:
        command += ["--kill-self-after", str(kill_self_after)]
    if disk_full_at_last:
        command.append("--disk-full-at-last")
    # Dagster's debug log goes to stderr: a file, so a full pipe never stalls the child.
    with log.open("w") as stderr:
        return subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=child_env(log.parent, dagster_home),
            text=True,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    stdout, _ = process.communicate(timeout=timeout)
    return process.returncode, stdout


def generations_by_partition(warehouse: Warehouse) -> dict[str, tuple[set[int], int]]:
    """symbol -> (distinct generations stored, row count), opened as the next run opens it."""
    with as_resource(warehouse).get_connection() as conn:
        rows = conn.execute(
            "SELECT symbol, list(DISTINCT volume), count(*) FROM daily_bars GROUP BY symbol"
        ).fetchall()
    return {symbol: (set(generations), count) for symbol, generations, count in rows}


def duplicate_keys(warehouse: Warehouse) -> int:
    with as_resource(warehouse).get_connection() as conn:
        return conn.execute(
            "SELECT count(*) FROM (SELECT symbol, date FROM daily_bars GROUP BY ALL "
            "HAVING count(*) > 1)"
        ).fetchone()[0]


# Four runs, each writing its own three symbols' partitions of one warehouse.
CONCURRENT_RUNS = [tuple(f"RUN{run}S{i}" for i in range(3)) for run in range(4)]


def four_concurrent_runs_write_every_row_once(
    tmp_path: Path,
    dagster_home: Path | None,
    lock_timeout: float,
    warehouse: Warehouse | None = None,
) -> None:
    """Start CONCURRENT_RUNS as four run processes at once; each must commit without meeting
    DuckDB's file lock, and the warehouse (a DuckDB file in tmp_path unless given) must hold
    every partition once, of one generation."""
    warehouse = warehouse or tmp_path / "warehouse.duckdb"
    runs = [
        start_run(
            warehouse,
            tmp_path / f"run{n}.log",
            symbols,
            dagster_home=dagster_home,
            lock_timeout=lock_timeout,
        )
        for n, symbols in enumerate(CONCURRENT_RUNS)
    ]
    outcomes = [finish(run) for run in runs]
    for n, (returncode, stdout) in enumerate(outcomes):
        log = (tmp_path / f"run{n}.log").read_text()
        assert returncode == 0 and "COMMITTED 1" in stdout, stdout + log[-3000:]
        assert "WarehouseLockedError" not in log and "Could not set lock" not in log
    stored = generations_by_partition(warehouse)
    assert set(stored) == {symbol for symbols in CONCURRENT_RUNS for symbol in symbols}
    assert len({count for _, count in stored.values()}) == 1
    assert duplicate_keys(warehouse) == 0
