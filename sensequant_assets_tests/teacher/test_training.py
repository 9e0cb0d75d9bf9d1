"""Skip rules, metrics, determinism and reloadable artifacts of the per-window models."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant_assets.teacher.features import FEATURE_NAMES
from sensequant_assets.teacher.labels import LabelSpec, label_table
from sensequant_assets.teacher.training import (
    RUN_COLUMNS,
    TrainingParams,
    classification_metrics,
    load_model,
    roc_auc,
    skip_reason,
    train_windows,
)
from sensequant_assets.teacher.windows import WindowSpec

FAST = TrainingParams(iterations=30, depth=3, min_train_samples=50, min_eval_samples=10)


@pytest.fixture(scope="module")
def labels(walk: pd.DataFrame) -> pd.DataFrame:
    return label_table("WALK", walk, LabelSpec(horizon=5, threshold=0.02), WindowSpec(252, 63))


def frame(labels: list[float | None]) -> pd.DataFrame:
    rows = pd.DataFrame({name: np.arange(len(labels), dtype=float) for name in FEATURE_NAMES})
    rows["label"] = pd.array(labels, dtype="Int8")
    rows["date"] = pd.date_range("2024-01-01", periods=len(labels), freq="B")
    return rows


def test_roc_auc_counts_ties_half_and_is_undefined_with_one_class() -> None:
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert roc_auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5
    assert roc_auc(np.array([1, 1, 1]), np.array([0.1, 0.2, 0.3])) is None


def test_classification_metrics_by_hand() -> None:
    y = np.array([1, 1, 0, 0, 0])
    predicted = np.array([1, 0, 1, 0, 0])
    metrics = classification_metrics(y, predicted, np.array([0.9, 0.4, 0.6, 0.2, 0.1]))
    assert metrics == {
        "eval_accuracy": 0.6,
        "eval_precision": 0.5,
        "eval_recall": 0.5,
        "eval_f1": 0.5,
        "eval_roc_auc": pytest.approx(5 / 6),
    }
    none_predicted = classification_metrics(y, np.zeros(5, dtype=int), np.zeros(5))
    assert none_predicted["eval_precision"] is None
    assert none_predicted["eval_recall"] == 0.0
    assert none_predicted["eval_f1"] == 0.0


def test_skip_when_the_history_ends_inside_the_evaluation_slice() -> None:
    reason = skip_reason(frame([0, 1] * 50), frame([0, 1, None, None]), FAST)
    assert reason is not None and reason.startswith("not enough future sessions")
    assert skip_reason(frame([0, 1] * 50), frame([]), FAST).startswith("not enough future")
    # a slice cut by the end of the history that still holds enough labels is evaluated
    assert skip_reason(frame([0, 1] * 50), frame([0, 1] * 10 + [None] * 5), FAST) is None


def test_skip_with_too_few_samples_and_with_a_single_class() -> None:
    reason = skip_reason(frame([0, 1] * 10), frame([0, 1] * 10), FAST)
    assert reason == "fewer than 50 training samples (20)"
    reason = skip_reason(frame([0] * 100), frame([0, 1] * 10), FAST)
    assert reason == "a single label class in training: every label is 0"


def test_every_window_is_trained_or_skipped_with_its_reason(
    labels: pd.DataFrame, tmp_path: Path
) -> None:
    runs = train_windows("WALK", labels, FAST, tmp_path / "stage", tmp_path / "models")
    assert tuple(runs.columns) == RUN_COLUMNS
    assert runs["status"].tolist() == ["trained"] * 7
    trained = runs.iloc[0]
    assert trained["train_rows"] == 252 and trained["eval_rows"] == 63
    assert trained["train_end"] < trained["eval_start"]
    assert 0.0 <= trained["eval_accuracy"] <= 1.0
    assert 0.0 <= trained["baseline_accuracy"] <= 1.0
    assert set(json.loads(trained["feature_importances"])) == set(FEATURE_NAMES)
    used = json.loads(trained["hyper_parameters"])
    assert (used["iterations"], used["depth"], used["random_seed"]) == (30, 3, 42)
    assert used["border_count"] == 64 and used["task_type"] == "CPU"
    assert sorted(p.name for p in (tmp_path / "stage").iterdir()) == [
        f"w{i:02d}.cbm" for i in range(7)
    ]
    assert trained["model_path"] == str(tmp_path / "models" / "w00.cbm")


def test_skipped_windows_are_recorded_not_trained(labels: pd.DataFrame, tmp_path: Path) -> None:
    strict = TrainingParams(iterations=30, depth=3, min_eval_samples=60)
    runs = train_windows("WALK", labels, strict, tmp_path / "stage", tmp_path / "models")
    last = runs.iloc[-1]
    assert last["status"] == "skipped"
    assert last["reason"].startswith("not enough future sessions")
    assert pd.isna(last["model_path"]) and pd.isna(last["eval_accuracy"])
    assert not (tmp_path / "stage" / "w06.cbm").exists()


def test_a_catboost_error_is_a_failure_not_a_skip(labels: pd.DataFrame, tmp_path: Path) -> None:
    broken = TrainingParams(iterations=30, depth=17)  # CatBoost allows depth up to 16
    runs = train_windows("WALK", labels, broken, tmp_path / "stage", tmp_path / "models")
    assert set(runs["status"]) == {"failed"}
    assert runs.iloc[0]["reason"].startswith("CatBoost error:")


def _eval_features(labels: pd.DataFrame, window: int) -> pd.DataFrame:
    rows = labels[(labels["window_index"] == window) & (labels["split"] == "eval")]
    return rows.dropna(subset=["label"]).loc[:, list(FEATURE_NAMES)]


def test_same_seed_same_metrics_and_predictions(labels: pd.DataFrame, tmp_path: Path) -> None:
    first = train_windows("WALK", labels, FAST, tmp_path / "a", tmp_path / "a")
    second = train_windows("WALK", labels, FAST, tmp_path / "b", tmp_path / "b")
    other_seed = dataclasses.replace(FAST, seed=7)
    train_windows("WALK", labels, other_seed, tmp_path / "c", tmp_path / "c")
    varying = ["model_path", "fit_seconds"]
    pd.testing.assert_frame_equal(first.drop(columns=varying), second.drop(columns=varying))
    x = _eval_features(labels, 3)
    a, b, c = (load_model(tmp_path / d / "w03.cbm").predict_proba(x) for d in "abc")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)  # the seed is really used


def test_saved_models_reload_and_reproduce_the_recorded_metrics(
    labels: pd.DataFrame, tmp_path: Path
) -> None:
    runs = train_windows("WALK", labels, FAST, tmp_path, tmp_path)
    for run in runs.itertuples():
        rows = labels[(labels["window_index"] == run.window_index) & (labels["split"] == "eval")]
        rows = rows.dropna(subset=["label"])
        model = load_model(Path(run.model_path))
        scores = model.predict_proba(rows.loc[:, list(FEATURE_NAMES)])[:, 1]
        assert roc_auc(rows["label"].to_numpy(dtype=int), scores) == pytest.approx(run.eval_roc_auc)
