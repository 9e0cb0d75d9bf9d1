"""A teacher_model run SIGKILLed between committing its rows and removing the previous run's
model files, and one killed just before the commit: every stored row must still name a model
file that exists, and that file's own metadata must carry the row's settings and fingerprint.
"""

import importlib
import json
import multiprocessing
import os
import signal
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.defs.teacher import assets
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.teacher.training import load_model, read_model_metadata
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.defs.teacher.test_assets import (
    FAST,
    SETTINGS,
    SYMBOLS,
    Gate,
    materialize_all,
    seed_bars,
)

pytestmark = pytest.mark.slow


def train_then_die_at(point: str, database: str, models: str) -> None:
    """In a fresh process: train once, then train again and SIGKILL this process at `point`."""
    warehouse = WarehouseResource(database=database)
    paths = ProjectPaths(models_dir=models)
    assets.blocking_failures = Gate()
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("symbols", SYMBOLS)
        assert materialize_all(warehouse, instance, paths).success
        module, name = point.rsplit(".", 1)
        setattr(
            importlib.import_module(module),
            name,
            lambda *args: os.kill(os.getpid(), signal.SIGKILL),
        )
        # Other settings, so the second run retrains (the same labels and settings would not).
        materialize_all(warehouse, instance, paths, TeacherSettings(**FAST, seed=7))


@pytest.mark.parametrize(
    "point",
    [
        "sensequant_assets.teacher.flow.replace_symbol_results",
        "sensequant_assets.defs.teacher.assets.remove_unused",
    ],
)
def test_rows_and_model_files_pair_up_after_a_kill(tmp_path: Path, point: str) -> None:
    database = str(tmp_path / "warehouse.duckdb")
    seed_bars(WarehouseResource(database=database))
    child = multiprocessing.get_context("spawn").Process(
        target=train_then_die_at, args=(point, database, str(tmp_path / "models"))
    )
    child.start()
    child.join(timeout=300)
    assert child.exitcode == -signal.SIGKILL, "the run was not killed where intended"

    with WarehouseResource(database=database).get_connection() as conn:
        runs = conn.execute("SELECT * FROM teacher_runs WHERE status = 'trained'").df()
    assert set(runs["symbol"]) == set(SYMBOLS)
    for run in runs.itertuples():
        recorded = read_model_metadata(load_model(Path(run.model_path)))
        assert recorded["settings"] == json.loads(run.settings)
        assert recorded["data_fingerprint"] == run.data_fingerprint
    assert SETTINGS.horizon == json.loads(runs["settings"].iloc[0])["horizon"]
