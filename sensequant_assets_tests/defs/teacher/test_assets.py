"""teacher_labels and teacher_model in-process, over a temporary warehouse with synthetic bars."""

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from catboost import CatBoostError
from catboost.utils import get_gpu_device_count

from sensequant_assets.defs.partitions import symbol_year_partitions
from sensequant_assets.defs.resources import TeacherSettings
from sensequant_assets.defs.teacher import assets
from sensequant_assets.defs.teacher.assets import teacher_labels, teacher_model
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.teacher import training
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import replace_bars, transaction
from sensequant_assets_tests.teacher.factories import YEARS, random_walk_bars

SYMBOLS = ["AAA", "BBB", "CCC"]
GATE_MESSAGE = "coverage_check failed for BBB|2023: 3 missing sessions (2023-03-15, ...)"
# The upstream asset, declared so the partition mapping to symbol x year resolves.
DAILY_BARS = dg.AssetSpec("daily_bars", partitions_def=symbol_year_partitions)
SETTINGS = TeacherSettings(iterations=30, depth=3)
GPU_SETTINGS = TeacherSettings(iterations=30, depth=3, task_type="GPU")


class Gate:
    """Stands in for quality.gate.blocking_failures: the checks' own tests prove the real one."""

    def __init__(self) -> None:
        self.blocked: dict[str, list[str]] = {}
        self.asked: list[str] = []

    def __call__(self, conn: object, symbol: str, listings: object) -> list[str]:
        self.asked.append(symbol)
        return self.blocked.get(symbol, [])


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    stand_in = Gate()
    monkeypatch.setattr(assets, "blocking_failures", stand_in)
    return stand_in


@pytest.fixture
def seeded(warehouse: WarehouseResource, instance: dg.DagsterInstance) -> WarehouseResource:
    with warehouse.get_connection() as conn, transaction(conn):
        for seed, symbol in enumerate(SYMBOLS):
            bars = random_walk_bars(symbol, seed)
            for year in YEARS:
                replace_bars(conn, symbol, year, bars[bars["date"].dt.year == year])
    instance.add_dynamic_partitions("symbols", SYMBOLS)
    return warehouse


def materialize_all(
    warehouse: WarehouseResource, instance: dg.DagsterInstance, paths: ProjectPaths
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [DAILY_BARS, teacher_labels, teacher_model],
        selection=[teacher_labels, teacher_model],
        instance=instance,
        resources={"warehouse": warehouse, "teacher": SETTINGS, "paths": paths},
        tags=range_tags(SYMBOLS[0], SYMBOLS[-1]),
    )


def failed_model_run(
    warehouse: WarehouseResource,
    instance: dg.DagsterInstance,
    settings: TeacherSettings,
    paths: ProjectPaths,
) -> str:
    """Materialize teacher_model alone, expect it to fail, and return the failure's text."""
    result = dg.materialize(
        [DAILY_BARS, teacher_model],
        selection=[teacher_model],
        instance=instance,
        resources={"warehouse": warehouse, "teacher": settings, "paths": paths},
        tags=range_tags(SYMBOLS[0], SYMBOLS[-1]),
        raise_on_error=False,
    )
    assert not result.success
    return result.failure_data_for_node("teacher_model").user_failure_data.description


def partition_metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, dict]:
    return {
        event.partition: event.metadata for event in result.asset_materializations_for_node(asset)
    }


def table(warehouse: WarehouseResource, name: str) -> pd.DataFrame:
    with warehouse.get_connection() as conn:
        return conn.execute(f"SELECT * FROM {name} ORDER BY symbol, window_index").df()


def test_labels_and_models_for_several_symbols_in_one_run(
    seeded: WarehouseResource, instance: dg.DagsterInstance, gate: Gate, paths: ProjectPaths
) -> None:
    result = materialize_all(seeded, instance, paths)
    assert result.success
    assert gate.asked == SYMBOLS * 2  # both assets ask the gate, for each symbol

    labels = table(seeded, "teacher_labels")
    runs = table(seeded, "teacher_runs")
    assert sorted(labels["symbol"].unique()) == SYMBOLS
    assert runs.groupby("symbol")["status"].apply(list).to_dict() == {
        s: ["trained"] * 7 for s in SYMBOLS
    }
    for run in runs.itertuples():
        assert Path(run.model_path) == paths.models / run.symbol / f"w{run.window_index:02d}.cbm"
        assert Path(run.model_path).is_file()

    label_meta = partition_metadata(result, "teacher_labels")
    assert label_meta["AAA"]["dagster/row_count"].value == len(labels[labels.symbol == "AAA"])
    model_meta = partition_metadata(result, "teacher_model")
    assert set(model_meta) == set(SYMBOLS)
    assert model_meta["AAA"]["windows_trained"].value == 7
    markdown = model_meta["AAA"]["windows"].value
    assert "![AAA evaluation by window](data:image/png;base64,iVBOR" in markdown
    assert markdown.count("| trained |") == 7


def test_rematerializing_replaces_rows_and_a_gated_symbol_loses_everything(
    seeded: WarehouseResource, instance: dg.DagsterInstance, gate: Gate, paths: ProjectPaths
) -> None:
    assert materialize_all(seeded, instance, paths).success
    first_labels = table(seeded, "teacher_labels")
    first_runs = table(seeded, "teacher_runs")
    (paths.models / "AAA" / "w99.cbm").write_bytes(b"stale")

    gate.blocked["BBB"] = [GATE_MESSAGE]
    result = materialize_all(seeded, instance, paths)
    assert result.success

    labels = table(seeded, "teacher_labels")
    runs = table(seeded, "teacher_runs")
    assert "BBB" not in set(labels["symbol"]) | set(runs["symbol"])
    assert not (paths.models / "BBB").exists()
    clean = first_labels[first_labels["symbol"] != "BBB"].reset_index(drop=True)
    pd.testing.assert_frame_equal(labels, clean)  # replaced, not appended
    kept = ["symbol", "window_index", "status", "eval_accuracy", "eval_roc_auc"]
    pd.testing.assert_frame_equal(
        runs[kept], first_runs[first_runs["symbol"] != "BBB"][kept].reset_index(drop=True)
    )
    assert not (paths.models / "AAA" / "w99.cbm").exists()  # stale model files go too

    for asset in ("teacher_labels", "teacher_model"):
        gated = partition_metadata(result, asset)["BBB"]
        assert gated["status"].value == "gated"
        assert GATE_MESSAGE in gated["blocking_failures"].value


def test_a_symbol_without_bars_fails_the_run_with_what_to_do(
    warehouse: WarehouseResource, instance: dg.DagsterInstance, gate: Gate, paths: ProjectPaths
) -> None:
    instance.add_dynamic_partitions("symbols", ["EMPTY"])
    result = dg.materialize(
        [DAILY_BARS, teacher_labels],
        selection=[teacher_labels],
        instance=instance,
        resources={"warehouse": warehouse, "teacher": SETTINGS, "paths": paths},
        partition_key="EMPTY",
        raise_on_error=False,
    )
    assert not result.success
    failure = result.failure_data_for_node("teacher_labels")
    assert "teacher_labels[EMPTY]: no daily_bars rows" in failure.user_failure_data.description
    assert "materialize daily_bars for EMPTY first" in failure.user_failure_data.description


def test_a_history_shorter_than_one_window_is_skipped_not_failed(
    warehouse: WarehouseResource, instance: dg.DagsterInstance, gate: Gate, paths: ProjectPaths
) -> None:
    bars = random_walk_bars("NEW", seed=3, years=(2024,))  # 246 sessions < 49 warm-up + 252
    with warehouse.get_connection() as conn, transaction(conn):
        replace_bars(conn, "NEW", 2024, bars)
    instance.add_dynamic_partitions("symbols", ["NEW"])
    result = dg.materialize(
        [DAILY_BARS, teacher_labels, teacher_model],
        selection=[teacher_labels, teacher_model],
        instance=instance,
        resources={"warehouse": warehouse, "teacher": SETTINGS, "paths": paths},
        partition_key="NEW",
    )
    assert result.success
    for asset in ("teacher_labels", "teacher_model"):
        status = partition_metadata(result, asset)["NEW"]["status"].value
        assert status == "no window: history shorter than warm-up + window"
    assert table(warehouse, "teacher_runs").empty


def test_a_training_failure_fails_the_run_and_keeps_the_previous_results(
    seeded: WarehouseResource,
    instance: dg.DagsterInstance,
    gate: Gate,
    monkeypatch: pytest.MonkeyPatch,
    paths: ProjectPaths,
) -> None:
    assert materialize_all(seeded, instance, paths).success
    before = table(seeded, "teacher_runs")

    def broken_fit(*args: object) -> None:
        raise CatBoostError("out of memory (simulated)")

    monkeypatch.setattr(training, "fit_window", broken_fit)
    description = failed_model_run(seeded, instance, SETTINGS, paths)
    assert "teacher_model[AAA] window 0: CatBoost error: out of memory (simulated)" in description
    pd.testing.assert_frame_equal(table(seeded, "teacher_runs"), before)
    assert all(Path(path).is_file() for path in before["model_path"])


@pytest.mark.skipif(get_gpu_device_count() > 0, reason="this machine has a CUDA device")
def test_gpu_training_without_a_gpu_fails_once_naming_the_switch(
    seeded: WarehouseResource, instance: dg.DagsterInstance, gate: Gate, paths: ProjectPaths
) -> None:
    assert materialize_all(seeded, instance, paths).success
    before = table(seeded, "teacher_runs")
    description = failed_model_run(seeded, instance, GPU_SETTINGS, paths)
    assert "teacher_model: 1 problem(s); nothing from this run was stored." in description
    assert "task_type is GPU but CatBoost finds no CUDA device" in description
    assert "Set the teacher resource's task_type to CPU" in description
    pd.testing.assert_frame_equal(table(seeded, "teacher_runs"), before)
    assert all(Path(path).is_file() for path in before["model_path"])
