"""The teacher assets in-process, over a temporary warehouse with synthetic bars."""

import threading
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from catboost import CatBoostError
from catboost.utils import get_gpu_device_count

from sensequant_assets.defs.partitions import symbol_year_partitions
from sensequant_assets.defs.teacher import assets
from sensequant_assets.defs.teacher.assets import (
    teacher_labels,
    teacher_model,
    teacher_universe_model,
)
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.teacher import training
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import replace_bars, transaction
from sensequant_assets_tests.teacher.factories import YEARS, random_walk_bars

SYMBOLS = ["AAA", "BBB", "CCC"]
GATE_MESSAGE = "coverage_check failed for BBB|2023: 3 missing sessions (2023-03-15, ...)"
# The upstream asset, declared so the partition mapping to symbol x year resolves.
DAILY_BARS = dg.AssetSpec("daily_bars", partitions_def=symbol_year_partitions)
FAST = {"iterations": 30, "depth": 3}
SETTINGS = TeacherSettings(**FAST)
GPU_SETTINGS = TeacherSettings(**FAST, task_type="GPU")


class Gate:
    """Stands in for quality.gate.blocking_failures: the checks' own tests prove the real one."""

    def __init__(self) -> None:
        self.blocked: dict[str, list[str]] = {}
        self.asked: list[str] = []

    def __call__(
        self, conn: object, symbols: list[str], listings: object, reference: object
    ) -> dict[str, list[str]]:
        self.asked.extend(symbols)
        return {symbol: self.blocked.get(symbol, []) for symbol in symbols}


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    stand_in = Gate()
    monkeypatch.setattr(assets, "blocking_failures", stand_in)
    return stand_in


def seed_bars(warehouse: WarehouseResource) -> None:
    """Three years of random-walk bars for each of SYMBOLS."""
    with warehouse.get_connection() as conn, transaction(conn):
        for seed, symbol in enumerate(SYMBOLS):
            bars = random_walk_bars(symbol, seed)
            for year in YEARS:
                replace_bars(conn, symbol, year, bars[bars["date"].dt.year == year])


@pytest.fixture
def seeded(warehouse: WarehouseResource, instance: dg.DagsterInstance) -> WarehouseResource:
    seed_bars(warehouse)
    instance.add_dynamic_partitions("symbols", SYMBOLS)
    return warehouse


def materialize_all(
    warehouse: WarehouseResource,
    instance: dg.DagsterInstance,
    paths: ProjectPaths,
    settings: TeacherSettings = SETTINGS,
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [DAILY_BARS, teacher_labels, teacher_model],
        selection=[teacher_labels, teacher_model],
        instance=instance,
        resources={"warehouse": warehouse, "teacher": settings, "paths": paths},
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


def data_versions(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], str]:
    """Each materialized (asset, partition)'s data version in a run."""
    return {
        (
            event.asset_key.to_user_string(),
            str(event.partition),
        ): event.step_materialization_data.materialization.tags["dagster/data_version"]
        for event in result.get_asset_materialization_events()
    }


def table(warehouse: WarehouseResource, name: str) -> pd.DataFrame:
    with warehouse.get_connection() as conn:
        return conn.execute(f"SELECT * FROM {name} ORDER BY symbol, window_index").df()


def observations(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, dict]:
    return {
        event.partition: event.asset_observation_data.asset_observation.metadata
        for event in result.all_events
        if event.event_type_value == "ASSET_OBSERVATION" and event.asset_key == dg.AssetKey(asset)
    }


def test_labels_and_models_for_several_symbols_in_one_run(
    seeded: WarehouseResource, instance: dg.DagsterInstance, gate: Gate, paths: ProjectPaths
) -> None:
    result = materialize_all(seeded, instance, paths)
    assert result.success
    assert gate.asked == SYMBOLS * 2  # both assets ask the gate, for each symbol

    labels = table(seeded, "teacher_labels")
    runs = table(seeded, "teacher_runs")
    assert sorted(labels["symbol"].unique()) == SYMBOLS
    assert set(runs["status"]) <= {"trained", "skipped"}
    assert (runs.groupby("symbol")["status"].apply(lambda s: (s == "trained").sum()) >= 5).all()
    for run in runs[runs["status"] == "trained"].itertuples():
        folder = paths.models / run.symbol / result.run_id
        assert Path(run.model_path) == folder / f"w{run.window_index:02d}.cbm"
        assert Path(run.model_path).is_file()
    predictions = table(seeded, "teacher_predictions")
    assert set(predictions["model"]) == {"per_symbol"}
    assert predictions["window_index"].isin(runs["window_index"]).all()

    label_meta = partition_metadata(result, "teacher_labels")
    assert label_meta["AAA"]["dagster/row_count"].value == len(labels[labels.symbol == "AAA"])
    model_meta = partition_metadata(result, "teacher_model")
    assert set(model_meta) == set(SYMBOLS)
    trained = int((runs[runs.symbol == "AAA"]["status"] == "trained").sum())
    assert model_meta["AAA"]["windows_trained"].value == trained
    assert 0.0 <= model_meta["AAA"]["pooled_auc"].value <= 1.0
    markdown = model_meta["AAA"]["report"].value
    assert "**Pooled out of sample, AAA**" in markdown
    assert "](data:image/png;base64,iVBOR" in markdown
    assert markdown.count("| trained |") == trained


def test_rematerializing_replaces_rows_and_a_gated_symbol_loses_everything(
    seeded: WarehouseResource, instance: dg.DagsterInstance, gate: Gate, paths: ProjectPaths
) -> None:
    first = materialize_all(seeded, instance, paths)
    assert first.success
    first_labels = table(seeded, "teacher_labels")
    first_runs = table(seeded, "teacher_runs")

    gate.blocked["BBB"] = [GATE_MESSAGE]
    result = materialize_all(seeded, instance, paths)
    assert result.success

    labels = table(seeded, "teacher_labels")
    runs = table(seeded, "teacher_runs")
    assert "BBB" not in set(labels["symbol"]) | set(runs["symbol"])
    assert "BBB" not in set(table(seeded, "teacher_predictions")["symbol"])
    assert not (paths.models / "BBB").exists()
    clean = first_labels[first_labels["symbol"] != "BBB"].reset_index(drop=True)
    pd.testing.assert_frame_equal(labels, clean)  # replaced, not appended
    kept = ["symbol", "window_index", "status", "eval_accuracy", "eval_roc_auc"]
    pd.testing.assert_frame_equal(
        runs[kept], first_runs[first_runs["symbol"] != "BBB"][kept].reset_index(drop=True)
    )
    # AAA's labels did not change, so its model was kept, not retrained: it keeps only the
    # folder of the run its rows name, the first one.
    assert [p.name for p in (paths.models / "AAA").iterdir()] == [first.run_id]
    assert partition_metadata(result, "teacher_model")["AAA"]["status"].value == "unchanged"

    labels_gated = partition_metadata(result, "teacher_labels")["BBB"]
    assert labels_gated["status"].value == "gated"
    assert GATE_MESSAGE in labels_gated["reason"].value
    assert "BBB" not in partition_metadata(result, "teacher_model")
    model_gated = observations(result, "teacher_model")["BBB"]
    assert model_gated["status"].value == "gated"
    assert GATE_MESSAGE in model_gated["reason"].value


def test_a_symbol_whose_bars_were_never_materialized_is_gated_with_what_to_do(
    warehouse: WarehouseResource, instance: dg.DagsterInstance, paths: ProjectPaths
) -> None:
    """The real gate (no stand-in) holds back a symbol that has neither a mapping nor a
    daily_bars partition materialized, saying what to do first; the run itself succeeds, so one
    such symbol never costs the other symbols of its run their labels."""
    instance.add_dynamic_partitions("symbols", ["EMPTY"])
    result = dg.materialize(
        [DAILY_BARS, teacher_labels],
        selection=[teacher_labels],
        instance=instance,
        resources={"warehouse": warehouse, "teacher": SETTINGS, "paths": paths},
        partition_key="EMPTY",
    )
    labels = partition_metadata(result, "teacher_labels")["EMPTY"]
    assert labels["status"].value == "gated"
    assert "EMPTY has no row in symbol_mapping" in labels["reason"].value
    assert "materialize symbol_mapping[EMPTY] first" in labels["reason"].value


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
    no_window = "no window: history shorter than warm-up + window"
    assert partition_metadata(result, "teacher_labels")["NEW"]["status"].value == no_window
    assert observations(result, "teacher_model")["NEW"]["reason"].value == no_window
    assert "NEW" not in instance.get_materialized_partitions(dg.AssetKey("teacher_model"))
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
    reseeded = TeacherSettings(**FAST, seed=SETTINGS.seed + 1)  # a change that retrains
    description = failed_model_run(seeded, instance, reseeded, paths)
    assert "CatBoost error: out of memory (simulated)" in description
    assert "teacher_model[AAA] window" in description
    pd.testing.assert_frame_equal(table(seeded, "teacher_runs"), before)
    assert all(Path(path).is_file() for path in before["model_path"].dropna())


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
    assert all(Path(path).is_file() for path in before["model_path"].dropna())


def test_a_changed_horizon_makes_teacher_model_refuse_labels_built_with_the_old_one(
    seeded: WarehouseResource, instance: dg.DagsterInstance, gate: Gate, paths: ProjectPaths
) -> None:
    assert materialize_all(seeded, instance, paths).success
    before = table(seeded, "teacher_runs")
    longer = TeacherSettings(**FAST, horizon=10)
    description = failed_model_run(seeded, instance, longer, paths)
    assert "teacher_labels[AAA] were built with other settings" in description
    assert "horizon: built with 5, now 10" in description
    assert "purge: built with 6, now 11" in description
    assert "--select teacher_labels --partition AAA" in description
    pd.testing.assert_frame_equal(table(seeded, "teacher_runs"), before)


def test_the_universe_model_trains_on_every_passing_symbol_beside_the_per_symbol_models(
    seeded: WarehouseResource, instance: dg.DagsterInstance, gate: Gate, paths: ProjectPaths
) -> None:
    assert materialize_all(seeded, instance, paths).success
    gate.blocked["CCC"] = [GATE_MESSAGE]
    settings = TeacherSettings(**FAST, min_names=2, universe_rule="every_gated_name")
    result = dg.materialize(
        [teacher_labels.to_source_asset(), teacher_universe_model],
        selection=[teacher_universe_model],
        instance=instance,
        resources={"warehouse": seeded, "teacher": settings, "paths": paths},
    )
    assert result.success
    runs = table_without_symbol(seeded, "teacher_universe_runs")
    assert (runs["status"] == "trained").sum() >= 5
    assert set(runs.loc[runs["status"] == "trained", "symbols"]) == {2}
    predictions = table(seeded, "teacher_predictions")
    assert set(predictions.loc[predictions["model"] == "universe", "symbol"]) == {"AAA", "BBB"}
    for path in runs["model_path"].dropna():
        assert Path(path).parent == paths.models / "_universe" / result.run_id
        assert Path(path).is_file()
    (materialization,) = result.asset_materializations_for_node("teacher_universe_model")
    metadata = materialization.metadata
    assert metadata["symbols"].value == 2
    assert metadata["universe_rule"].value.startswith("every_gated_name")
    assert "| mean rank IC (per date, across symbols) |" in metadata["per_symbol_vs_universe"].value
    assert "![rank IC](data:image/png;base64,iVBOR" in metadata["report"].value
    # the economic test is stored with the materialization and reads back as it was written
    event = instance.get_latest_materialization_event(teacher_universe_model.key)
    stored = event.asset_materialization.metadata["economics"].value
    assert set(stored) == {"settings", "names_per_date", "model", "momentum"}
    assert set(stored["model"]["long_short"]) >= {"net_annual_return", "net_sharpe", "max_drawdown"}
    assert stored["settings"]["slippage_bps"] == settings.cost_slippage_bps
    assert "![economic test](data:image/png;base64,iVBOR" in metadata["economics_report"].value
    assert "| model | long-short |" in metadata["economics_report"].value


def table_without_symbol(warehouse: WarehouseResource, name: str) -> pd.DataFrame:
    with warehouse.get_connection() as conn:
        return conn.execute(f"SELECT * FROM {name} ORDER BY window_index").df()


def test_code_versions_follow_the_settings_so_a_new_horizon_marks_everything_unsynced() -> None:
    """The assets' code versions are the deployment's settings' hashes; a changed horizon or
    feature set changes both, a changed seed only the model's, the device neither."""
    deployed = TeacherSettings()
    versions = {key.to_user_string(): v for key, v in teacher_model.code_versions_by_key.items()}
    versions.update(
        {key.to_user_string(): v for key, v in teacher_labels.code_versions_by_key.items()}
    )
    assert versions == {
        "teacher_labels": deployed.labels_version(),
        "teacher_model": deployed.model_version(),
    }
    assert teacher_universe_model.code_versions_by_key == {
        dg.AssetKey("teacher_universe_model"): deployed.universe_version()
    }
    # The universe rule changes the universe model only.
    for other_universe in (
        TeacherSettings(universe_rule="every_gated_name"),
        TeacherSettings(universe_index="nifty50"),
    ):
        assert other_universe.universe_version() != deployed.universe_version()
        assert other_universe.model_version() == deployed.model_version()
    for changed in (TeacherSettings(horizon=10), TeacherSettings(feature_set="original15")):
        assert changed.labels_version() != deployed.labels_version()
        assert changed.model_version() != deployed.model_version()
    reseeded = TeacherSettings(seed=7)
    assert reseeded.labels_version() == deployed.labels_version()
    assert reseeded.model_version() != deployed.model_version()
    assert TeacherSettings(task_type="GPU", thread_count=8).model_version() == (
        deployed.model_version()
    )


def test_a_model_whose_labels_did_not_change_is_kept_not_retrained(
    seeded: WarehouseResource, instance: dg.DagsterInstance, gate: Gate, paths: ProjectPaths
) -> None:
    first = materialize_all(seeded, instance, paths)
    before = table(seeded, "teacher_runs")
    labels_before = table(seeded, "teacher_labels")
    again = materialize_all(seeded, instance, paths)
    kept = partition_metadata(again, "teacher_model")
    assert {symbol: meta["status"].value for symbol, meta in kept.items()} == dict.fromkeys(
        SYMBOLS, "unchanged"
    )
    assert first.run_id in kept["AAA"]["reason"].value
    pd.testing.assert_frame_equal(table(seeded, "teacher_runs"), before)  # nothing retrained
    # Nor relabelled: the labels keep their rows, and what the UI showed of them, naming the run
    # that built them, with the data version they had.
    labels = partition_metadata(again, "teacher_labels")
    assert {s: m["status"].value for s, m in labels.items()} == dict.fromkeys(SYMBOLS, "unchanged")
    assert labels["AAA"]["labels_run"].value == first.run_id
    assert first.run_id in labels["AAA"]["reason"].value
    assert "windows_table" in labels["AAA"] and "bars_versions" in labels["AAA"]
    pd.testing.assert_frame_equal(table(seeded, "teacher_labels"), labels_before)
    assert data_versions(again) == data_versions(first)
    with seeded.get_connection() as conn, transaction(conn):  # one corrected bar of BBB
        conn.execute(
            "UPDATE daily_bars SET close = close * 1.01, high = high * 1.01 WHERE symbol = 'BBB' "
            "AND date = (SELECT max(date) FROM daily_bars WHERE symbol = 'BBB')"
        )
    corrected = materialize_all(seeded, instance, paths)
    statuses = {
        s: m["status"].value for s, m in partition_metadata(corrected, "teacher_model").items()
    }
    assert statuses == {"AAA": "unchanged", "BBB": "trained", "CCC": "unchanged"}
    relabelled = {
        s: m["status"].value for s, m in partition_metadata(corrected, "teacher_labels").items()
    }
    assert relabelled == {"AAA": "unchanged", "BBB": "labelled", "CCC": "unchanged"}


def test_labels_whose_rows_went_missing_are_rebuilt(
    seeded: WarehouseResource, instance: dg.DagsterInstance, gate: Gate, paths: ProjectPaths
) -> None:
    """Same inputs as the last labels, but their rows are no longer all stored: rebuilt."""
    materialize_all(seeded, instance, paths)
    with seeded.get_connection() as conn, transaction(conn):
        conn.execute("DELETE FROM teacher_labels WHERE symbol = 'CCC' AND window_index = 0")
    again = partition_metadata(materialize_all(seeded, instance, paths), "teacher_labels")
    assert {s: m["status"].value for s, m in again.items()} == {
        "AAA": "unchanged",
        "BBB": "unchanged",
        "CCC": "labelled",
    }


def test_a_model_removed_by_the_gate_is_trained_again_once_the_gate_opens(
    seeded: WarehouseResource, instance: dg.DagsterInstance, gate: Gate, paths: ProjectPaths
) -> None:
    """Same labels as the last model, but that model's rows and files went with the gate:
    "unchanged" would point at nothing, so it is retrained."""
    assert materialize_all(seeded, instance, paths).success
    gate.blocked["AAA"] = [GATE_MESSAGE]
    assert materialize_all(seeded, instance, paths).success
    gate.blocked.clear()
    reopened = materialize_all(seeded, instance, paths)
    assert partition_metadata(reopened, "teacher_labels")["AAA"]["status"].value == "labelled"
    assert partition_metadata(reopened, "teacher_model")["AAA"]["status"].value == "trained"
    runs = table(seeded, "teacher_runs")
    assert all(Path(p).is_file() for p in runs.loc[runs.symbol == "AAA", "model_path"].dropna())


# Two teacher_model runs of the same symbols at once: run A trains and commits, then waits before
# its clean-up while run B trains, commits and cleans up; then A cleans up. Before the fix, A's
# clean-up removed B's folder, which B's committed rows name.
def test_a_run_cleaning_up_after_another_committed_keeps_the_other_runs_models(
    seeded: WarehouseResource,
    instance: dg.DagsterInstance,
    gate: Gate,
    paths: ProjectPaths,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_clean_up = assets.remove_unused
    a_committed, b_done = threading.Event(), threading.Event()
    first = threading.Lock()

    def clean_up_after_b(*args: object) -> list[Path]:
        if first.acquire(blocking=False):  # run A's clean-up waits for run B
            a_committed.set()
            assert b_done.wait(600)
        return real_clean_up(*args)

    monkeypatch.setattr(assets, "remove_unused", clean_up_after_b)
    results: dict[str, dg.ExecuteInProcessResult] = {}
    run_a = threading.Thread(
        target=lambda: results.setdefault("A", materialize_all(seeded, instance, paths))
    )
    run_a.start()
    try:
        assert a_committed.wait(600)
        results["B"] = materialize_all(seeded, instance, paths, TeacherSettings(**FAST, seed=7))
    finally:
        b_done.set()
        run_a.join(600)
    assert results["A"].success and results["B"].success

    runs = table(seeded, "teacher_runs")
    trained = runs[runs["status"] == "trained"]
    assert not trained.empty
    assert {Path(path).parent.name for path in trained["model_path"]} == {results["B"].run_id}
    missing = [path for path in trained["model_path"] if not Path(path).is_file()]
    assert not missing, f"committed rows name deleted model files: {missing[:3]}"
