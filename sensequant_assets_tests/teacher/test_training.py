"""Skip rules, predictions, weights, provenance, determinism and reloadable artifacts of the
per-symbol and universe models."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from catboost import CatBoostClassifier

from sensequant_assets.teacher.features import FEATURE_SETS
from sensequant_assets.teacher.labels import LabelSpec, label_settings, label_table, settings_json
from sensequant_assets.teacher.metrics import roc_auc
from sensequant_assets.teacher.training import (
    PREDICTION_COLUMNS,
    RUN_COLUMNS,
    UNIVERSE_RUN_COLUMNS,
    TrainingParams,
    classification_metrics,
    data_fingerprint,
    feature_columns,
    fit_window,
    load_model,
    read_model_metadata,
    skip_reason,
    train_universe,
    train_windows,
    write_model_metadata,
)
from sensequant_assets.teacher.windows import WindowSpec
from sensequant_assets_tests.teacher.factories import random_walk_bars

FAST = TrainingParams(iterations=30, depth=3, min_train_samples=50, min_eval_samples=10)
FEATURES = FEATURE_SETS["stationary_v1"].columns
SETTINGS = settings_json(label_settings(LabelSpec(), WindowSpec()))


@pytest.fixture(scope="module")
def labels(walk: pd.DataFrame) -> pd.DataFrame:
    return label_table("WALK", walk, LabelSpec(), WindowSpec(252, 63))


def frame(labels: list[float | None], returns_known: int | None = None) -> pd.DataFrame:
    """Rows with the given labels; the forward return is known on the first `returns_known`
    rows (all by default), as at the end of a history."""
    n = len(labels)
    known = n if returns_known is None else returns_known
    rows = pd.DataFrame({name: np.arange(n, dtype=float) for name in FEATURES})
    rows["label"] = pd.array(labels, dtype="Int8")
    rows["forward_return"] = [0.01] * known + [np.nan] * (n - known)
    rows["date"] = pd.date_range("2024-01-01", periods=n, freq="B")
    return rows.assign(symbol="X", weight=1.0, past_return=0.0, settings=SETTINGS)


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
    train = frame([0, 1] * 50)
    reason = skip_reason(train, frame([0, 1, None, None], returns_known=2), FAST)
    assert reason is not None and reason.startswith("not enough future sessions")
    assert skip_reason(train, frame([]), FAST).startswith("not enough future")
    # a slice cut by the end of the history that still holds enough labels is evaluated
    assert skip_reason(train, frame([0, 1] * 10 + [None] * 5, returns_known=20), FAST) is None


def test_rows_without_a_decisive_move_are_not_the_end_of_the_history() -> None:
    """A missing label with a known return is a neutral session, not a missing future; and a
    slice with few decisive moves is still evaluated: how many moves turned out decisive is the
    outcome, and a window is never kept or skipped by its outcome."""
    with_neutral = frame([0, 1, None] * 40)
    assert skip_reason(with_neutral, frame([0, 1, None] * 10), FAST) is None
    assert skip_reason(with_neutral, frame([0, None, None] * 8), FAST) is None


def test_skip_with_too_few_samples_and_with_a_single_class() -> None:
    reason = skip_reason(frame([0, 1] * 10), frame([0, 1] * 10), FAST)
    assert reason == "fewer than 50 training samples (20)"
    reason = skip_reason(frame([0] * 100), frame([0, 1] * 10), FAST)
    assert reason == "a single label class in training: every label is 0"


def test_every_window_is_trained_or_skipped_with_its_reason(
    labels: pd.DataFrame, tmp_path: Path
) -> None:
    result = train_windows("WALK", labels, FAST, tmp_path / "stage", tmp_path / "models")
    runs = result.runs
    assert tuple(runs.columns) == RUN_COLUMNS
    assert runs["status"].tolist() == ["trained"] * 7
    trained = runs.iloc[0]
    window0 = labels[labels["window_index"] == 0]
    # rows counted are the labelled ones (a neutral session is neither trained nor scored)
    assert trained["train_rows"] == window0[window0["split"] == "train"]["label"].count()
    assert trained["eval_rows"] == window0[window0["split"] == "eval"]["label"].count()
    assert trained["train_end"] < trained["eval_start"]
    assert 0.0 <= trained["eval_accuracy"] <= 1.0
    assert 0.0 <= trained["baseline_accuracy"] <= 1.0
    assert trained["eval_roc_auc_low"] <= trained["eval_roc_auc"] <= trained["eval_roc_auc_high"]
    assert set(json.loads(trained["feature_importances"])) == set(FEATURES)
    used = json.loads(trained["hyper_parameters"])
    assert (used["iterations"], used["depth"], used["random_seed"]) == (30, 3, 42)
    assert used["border_count"] == 64 and used["task_type"] == "CPU"
    assert json.loads(trained["settings"]) == label_settings(LabelSpec(), WindowSpec())
    assert sorted(p.name for p in (tmp_path / "stage").iterdir()) == [
        f"w{i:02d}.cbm" for i in range(7)
    ]
    assert trained["model_path"] == str(tmp_path / "models" / "w00.cbm")


def test_predictions_are_the_out_of_sample_rows_with_their_baselines(
    labels: pd.DataFrame, tmp_path: Path
) -> None:
    result = train_windows("WALK", labels, FAST, tmp_path, tmp_path)
    predictions = result.predictions
    assert tuple(predictions.columns) == PREDICTION_COLUMNS
    assert set(predictions["model"]) == {"per_symbol"}
    evaluation = labels[(labels["split"] == "eval") & labels["forward_return"].notna()]
    assert len(predictions) == len(evaluation)  # neutral sessions included, for the rank IC
    merged = predictions.merge(evaluation, on=["symbol", "date"], suffixes=("", "_table"))
    assert (merged["window_index"] == merged["window_index_table"]).all()
    assert merged["label"].equals(merged["label_table"])
    np.testing.assert_array_equal(merged["momentum"], merged["past_return"])
    assert ((predictions["score"] > 0) & (predictions["score"] < 1)).all()
    runs = result.runs.set_index("window_index")
    base = predictions.groupby("window_index")["train_base_rate"].first()
    # the base rate under the fit's own weights: the Brier reference is the forecast this fit
    # would make without features
    train = labels[(labels["split"] == "train")].dropna(subset=["label"])
    weighted = train.groupby("window_index")[["label", "weight"]].apply(
        lambda rows: np.average(rows["label"].astype(float), weights=rows["weight"])
    )
    np.testing.assert_allclose(base, weighted.loc[base.index])
    unweighted = runs.loc[base.index, "train_positive_rate"].to_numpy(dtype=float)
    assert not np.allclose(base, unweighted)
    for window, rows in predictions.groupby("window_index"):
        assert rows["date"].min() > runs.loc[window, "train_end"]


def test_the_fit_uses_the_uniqueness_weights(labels: pd.DataFrame) -> None:
    """Only relative weights matter (they are scaled to mean 1); changing them changes the model."""
    rows = labels[labels["window_index"] == 2]
    train, evaluation = rows[rows["split"] == "train"], rows[rows["split"] == "eval"]
    _, base = fit_window(train, evaluation, FAST)
    _, scaled = fit_window(train.assign(weight=train["weight"] * 7), evaluation, FAST)
    np.testing.assert_allclose(base["score"], scaled["score"], rtol=1e-12)
    uneven = train["weight"] * np.linspace(0.2, 1.0, len(train))
    _, reweighted = fit_window(train.assign(weight=uneven), evaluation, FAST)
    assert not np.allclose(base["score"], reweighted["score"])


def test_skipped_windows_are_recorded_not_trained(labels: pd.DataFrame, tmp_path: Path) -> None:
    last_slice = labels[(labels["window_index"] == 6) & (labels["split"] == "eval")]
    known = last_slice["forward_return"].count()
    strict = dataclasses.replace(FAST, min_eval_samples=known + 1)
    runs = train_windows("WALK", labels, strict, tmp_path / "stage", tmp_path / "models").runs
    last = runs.iloc[-1]
    assert last["status"] == "skipped"
    assert last["reason"].startswith("not enough future sessions")
    assert pd.isna(last["model_path"]) and pd.isna(last["eval_accuracy"])
    assert not (tmp_path / "stage" / "w06.cbm").exists()


def test_a_catboost_error_is_a_failure_not_a_skip(labels: pd.DataFrame, tmp_path: Path) -> None:
    broken = TrainingParams(iterations=30, depth=17)  # CatBoost allows depth up to 16
    result = train_windows("WALK", labels, broken, tmp_path / "stage", tmp_path / "models")
    assert set(result.runs["status"]) == {"failed"}
    assert result.runs.iloc[0]["reason"].startswith("CatBoost error:")
    assert result.predictions.empty and tuple(result.predictions.columns) == PREDICTION_COLUMNS


def _eval_rows(labels: pd.DataFrame, window: int) -> pd.DataFrame:
    rows = labels[(labels["window_index"] == window) & (labels["split"] == "eval")]
    return rows.dropna(subset=["forward_return"])


def test_same_seed_same_metrics_and_predictions(labels: pd.DataFrame, tmp_path: Path) -> None:
    first = train_windows("WALK", labels, FAST, tmp_path / "a", tmp_path / "a")
    second = train_windows("WALK", labels, FAST, tmp_path / "b", tmp_path / "b")
    other_seed = dataclasses.replace(FAST, seed=7)
    train_windows("WALK", labels, other_seed, tmp_path / "c", tmp_path / "c")
    varying = ["model_path", "fit_seconds"]
    pd.testing.assert_frame_equal(
        first.runs.drop(columns=varying), second.runs.drop(columns=varying)
    )
    pd.testing.assert_frame_equal(first.predictions, second.predictions)
    x = _eval_rows(labels, 3).loc[:, list(FEATURES)]
    a, b, c = (load_model(tmp_path / d / "w03.cbm").predict_proba(x) for d in "abc")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)  # the seed is really used


def test_saved_models_reproduce_the_recorded_predictions_and_carry_their_provenance(
    labels: pd.DataFrame, tmp_path: Path
) -> None:
    result = train_windows("WALK", labels, FAST, tmp_path, tmp_path)
    for run in result.runs.itertuples():
        rows = _eval_rows(labels, run.window_index)
        model = load_model(Path(run.model_path))
        scores = model.predict_proba(rows.loc[:, list(FEATURES)])[:, 1]
        recorded = result.predictions[result.predictions["window_index"] == run.window_index]
        np.testing.assert_array_equal(scores, recorded["score"])
        labelled = rows["label"].notna().to_numpy()
        auc = roc_auc(rows["label"].dropna().to_numpy(dtype=int), scores[labelled])
        assert auc == pytest.approx(run.eval_roc_auc)
        metadata = read_model_metadata(model)
        assert metadata["settings"] == json.loads(run.settings)
        assert metadata["data_fingerprint"] == run.data_fingerprint
        assert metadata["hyper_parameters"] == json.loads(run.hyper_parameters)
        assert metadata["symbols"] == ["WALK"] and metadata["window_index"] == run.window_index
        assert metadata["features"] == list(FEATURES)


def test_model_metadata_round_trips_through_the_file(tmp_path: Path) -> None:
    model = CatBoostClassifier(iterations=2, verbose=False, allow_writing_files=False)
    model.fit(np.arange(20.0).reshape(10, 2), [0, 1] * 5)
    write_model_metadata(model, {"horizon": 5, "symbols": ["A", "B"], "label": "next open"})
    model.save_model(str(tmp_path / "m.cbm"))
    metadata = read_model_metadata(load_model(tmp_path / "m.cbm"))
    assert metadata == {"horizon": 5, "symbols": ["A", "B"], "label": "next open"}


def test_the_fingerprint_changes_with_what_the_model_saw(labels: pd.DataFrame) -> None:
    train = labels[(labels["window_index"] == 0) & (labels["split"] == "train")]
    print_ = data_fingerprint(train, FEATURES)
    assert data_fingerprint(train.copy(), FEATURES) == print_
    flipped = train.copy()
    flipped.iloc[10, flipped.columns.get_loc("label")] = 1 - flipped.iloc[10]["label"]
    assert data_fingerprint(flipped, FEATURES) != print_
    nudged = train.assign(close_to_sma_20=train["close_to_sma_20"] + 1e-12)
    assert data_fingerprint(nudged, FEATURES) != print_


def test_the_labels_name_their_feature_set(walk: pd.DataFrame, tmp_path: Path) -> None:
    original = label_table("WALK", walk, LabelSpec(), WindowSpec(), "original15")
    assert feature_columns(original) == FEATURE_SETS["original15"].columns
    runs = train_windows("WALK", original, FAST, tmp_path, tmp_path).runs
    assert set(json.loads(runs.iloc[0]["feature_importances"])) == set(
        FEATURE_SETS["original15"].columns
    )
    stale = original.assign(settings=original["settings"].str.replace('"1"', '"0"'))
    with pytest.raises(ValueError, match="version 0; this code computes version 1"):
        feature_columns(stale)


@pytest.fixture(scope="module")
def universe_labels() -> pd.DataFrame:
    tables = [
        label_table(f"U{i}", random_walk_bars(f"U{i}", seed=100 + i), LabelSpec(), WindowSpec())
        for i in range(6)
    ]
    return pd.concat(tables, ignore_index=True)


def test_the_universe_model_shares_the_per_symbol_windows(
    universe_labels: pd.DataFrame, tmp_path: Path
) -> None:
    """Six symbols on the same sessions: one model per window on the union of the per-symbol
    training rows, scored on the union of their evaluation rows."""
    result = train_universe(universe_labels, FAST, tmp_path / "stage", tmp_path / "models")
    runs = result.runs
    assert tuple(runs.columns) == UNIVERSE_RUN_COLUMNS
    assert runs["status"].tolist() == ["trained"] * 7
    assert (runs["symbols"] == 6).all()
    per_split = universe_labels.groupby(["window_index", "split"])
    assert runs["train_rows"].tolist() == per_split["label"].count()[:, "train"].tolist()
    dates = per_split["date"]
    assert runs["train_start"].tolist() == dates.min()[:, "train"].tolist()
    assert runs["eval_start"].tolist() == dates.min()[:, "eval"].tolist()
    assert runs["eval_end"].tolist() == dates.max()[:, "eval"].tolist()
    predictions = result.predictions
    assert set(predictions["model"]) == {"universe"}
    evaluation = universe_labels[
        (universe_labels["split"] == "eval") & universe_labels["forward_return"].notna()
    ]
    assert len(predictions) == len(evaluation)
    assert runs["eval_rank_ic_dates"].gt(0).all()
    assert runs["eval_rank_ic_mean"].abs().lt(1).all()
    assert (
        runs["model_path"] == [str(tmp_path / "models" / f"w{i:02d}.cbm") for i in range(7)]
    ).all()
    metadata = read_model_metadata(load_model(tmp_path / "stage" / "w00.cbm"))
    assert metadata["symbols"] == [f"U{i}" for i in range(6)]


def test_the_universe_purges_by_exit_date_where_a_symbol_misses_sessions(
    universe_labels: pd.DataFrame, tmp_path: Path
) -> None:
    """A symbol suspended for ten sessions: its labels span more of the union's sessions than
    H + 1, and the purge by exit date still keeps them out of the evaluation slice."""
    dates = np.sort(universe_labels["date"].unique())
    gap = dates[246:256]  # the end of window 0's training span (union sessions 0 .. 251)
    suspended = universe_labels[
        (universe_labels["symbol"] != "U0") | ~universe_labels["date"].isin(gap)
    ]
    sessions = label_table(
        "U0",
        random_walk_bars("U0", seed=100).loc[lambda b: ~b["date"].isin(gap)],
        LabelSpec(),
        WindowSpec(),
    )
    suspended = pd.concat([suspended[suspended["symbol"] != "U0"], sessions], ignore_index=True)
    result = train_universe(suspended, FAST, tmp_path, tmp_path)
    run = result.runs.iloc[0]
    window_rows = suspended.drop_duplicates(["symbol", "date"])
    used = window_rows[
        window_rows["date"].between(run["train_start"], run["train_end"])
        & window_rows["label"].notna()
        & (window_rows["exit_date"] < run["eval_start"])
    ]
    assert run["train_rows"] == len(used)
    in_range = window_rows["date"].between(run["train_start"], run["train_end"])
    late = window_rows[in_range & (window_rows["exit_date"] >= run["eval_start"])]
    assert set(late["symbol"]) == {"U0"}  # only the suspended symbol's labels reach that far
