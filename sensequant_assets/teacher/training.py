"""CatBoost classifiers per walk-forward window, evaluated out of sample.

Two trainers share one fitting routine:

- `train_windows`: one model per symbol and window, on that symbol's rows (the original design).
- `train_universe`: one model per window on every symbol's training rows, the way Qlib trains a
  cross-sectional model; its windows have the same date boundaries for every symbol and it is
  judged by per-date rank IC across names.

A window trains on its training rows only, weighted by label uniqueness, and is scored on its
evaluation slice, which lies after the purge gap. The hyper-parameters recorded are the ones
CatBoost reports it used (`get_all_params`). Each trainer returns its run rows (one per window,
with the per-window detail) and its prediction rows (one per evaluation row, with the baselines'
scores), from which `metrics.pooled_report` computes the pooled headline figures. A window that
cannot be trained by rule is skipped with its reason; a CatBoost error is recorded as a failure.
Model files carry their provenance in their own metadata (`write_model_metadata`).
"""

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, CatBoostError
from catboost.utils import get_gpu_device_count

from sensequant_assets.teacher.features import get_feature_set
from sensequant_assets.teacher.labels import settings_json, split_weights, stored_settings
from sensequant_assets.teacher.metrics import (
    ic_summary,
    placebo_scores,
    rank_ic_by_date,
    roc_auc,
    window_metrics,
)
from sensequant_assets.teacher.windows import WindowSpec, plan_windows
from sensequant_assets.universe.membership import is_member
from sensequant_assets.warehouse.tables import (
    TEACHER_PREDICTIONS,
    TEACHER_RUNS,
    TEACHER_UNIVERSE_RUNS,
)

# Which names the universe model sees on each date (TeacherSettings.universe_rule).
UniverseRule = Literal["point_in_time", "every_gated_name"]

RUN_COLUMNS = TEACHER_RUNS.column_names
UNIVERSE_RUN_COLUMNS = TEACHER_UNIVERSE_RUNS.column_names
PREDICTION_COLUMNS = TEACHER_PREDICTIONS.column_names
_METADATA_PREFIX = "sensequant."


@dataclass(frozen=True)
class TrainingParams:
    """CatBoost settings and the sample minimums of the skip rules.

    150 iterations of depth-4 trees on 64 feature borders fit a 252-row window in about 0.05 s on
    two cores, which keeps the whole universe inside its two-minute budget. CatBoost's default of
    254 borders is finer than a 252-row window can resolve and triples the fit time.
    `min_names` is the fewest symbols a date needs for its cross-sectional rank IC to be defined.
    """

    iterations: int = 150
    depth: int = 4
    learning_rate: float = 0.05
    border_count: int = 64
    seed: int = 42
    thread_count: int = 2
    task_type: Literal["CPU", "GPU"] = "CPU"
    min_train_samples: int = 100
    min_eval_samples: int = 20
    min_names: int = 5

    def catboost_params(self) -> dict[str, object]:
        return {
            "iterations": self.iterations,
            "depth": self.depth,
            "learning_rate": self.learning_rate,
            "border_count": self.border_count,
            "random_seed": self.seed,
            "thread_count": self.thread_count,
            "task_type": self.task_type,
            "loss_function": "Logloss",
            "verbose": False,
            "allow_writing_files": False,
        }


@dataclass(frozen=True)
class TrainingResult:
    """What a trainer returns: run rows (one per window) and prediction rows (one per labelled
    evaluation row of a trained window, columns `PREDICTION_COLUMNS`)."""

    runs: pd.DataFrame
    predictions: pd.DataFrame


def device_problem(params: TrainingParams) -> str | None:
    """Why the configured device cannot train on this machine (None if it can).

    Without a CUDA device CatBoost fails each GPU fit with a driver message ("CUDA error 35")
    that names no setting, once per window; this says once which switch to change.
    """
    if params.task_type == "GPU" and get_gpu_device_count() == 0:
        return (
            "task_type is GPU but CatBoost finds no CUDA device on this machine. Set the teacher "
            "resource's task_type to CPU, or run on a machine with an NVIDIA GPU and its driver."
        )
    return None


def model_file_name(window_index: int) -> str:
    return f"w{window_index:02d}.cbm"


def load_model(path: Path) -> CatBoostClassifier:
    model = CatBoostClassifier()
    model.load_model(str(path))
    return model


def write_model_metadata(model: CatBoostClassifier, provenance: Mapping[str, object]) -> None:
    """Store `provenance` in the model's own key-value metadata, which `save_model` writes into
    the .cbm file, so a model file found on its own still says what built it. Keys are prefixed
    to keep them apart from CatBoost's own; values are stored as JSON text."""
    metadata = model.get_metadata()
    for key, value in provenance.items():
        metadata[_METADATA_PREFIX + key] = json.dumps(value, sort_keys=True, default=str)


def read_model_metadata(model: CatBoostClassifier) -> dict[str, object]:
    """The provenance `write_model_metadata` stored (CatBoost's own keys left out)."""
    return {
        key.removeprefix(_METADATA_PREFIX): json.loads(value)
        for key, value in model.get_metadata().items()
        if key.startswith(_METADATA_PREFIX)
    }


def feature_columns(rows: pd.DataFrame) -> tuple[str, ...]:
    """The feature columns of the set that built `rows` (from their `settings`); a ValueError
    where this code computes that set with other formulas (another version)."""
    settings = stored_settings(rows)
    chosen = get_feature_set(str(settings["feature_set"]))
    if settings["feature_set_version"] != chosen.version:
        raise ValueError(
            f"These rows were built with feature set {chosen.name} version "
            f"{settings['feature_set_version']}; this code computes version {chosen.version}. "
            "Rebuild teacher_labels."
        )
    return chosen.columns


def data_fingerprint(rows: pd.DataFrame, features: tuple[str, ...]) -> str:
    """SHA-256 of what a model saw: the training rows' symbol, date, features, label and weight,
    in order. Equal fingerprints, equal training data (under one pandas version, whose hashing
    of values this relies on)."""
    seen = rows.loc[:, ["symbol", "date", *features, "label", "weight"]]
    hashed = pd.util.hash_pandas_object(seen, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def training_weights(train: pd.DataFrame, purge: int) -> np.ndarray:
    """Each training row's uniqueness weight among the window's own training labels
    (`labels.split_weights`, per symbol): a label in the purge gap, which ends inside the
    evaluation slice, is not one of them, so no training weight depends on what happens there.
    `train` holds each symbol's consecutive sessions of the window, labelled or not."""
    weights = np.full(len(train), np.nan)
    for _, positions in train.reset_index(drop=True).groupby("symbol", sort=False)["date"]:
        ordered = positions.sort_values().index.to_numpy()
        weights[ordered] = split_weights(train["label"].iloc[ordered], purge)
    return weights


def skip_reason(
    train: pd.DataFrame, evaluation: pd.DataFrame, params: TrainingParams
) -> str | None:
    """Why a window cannot be trained (None if it can). Checked in this order: not enough future
    sessions, too few samples, a single label class. Decided by what is known when the window
    is trained and by the calendar, never by the outcomes: the evaluation slice counts its
    sessions with a known forward return (a row without one lies at the end of the history),
    not its decisive moves, which would select windows by how their future turned out."""
    train_labelled = train["label"].dropna()
    eval_sessions = int(evaluation["forward_return"].notna().sum())
    if train["forward_return"].isna().any() or eval_sessions < params.min_eval_samples:
        return (
            "not enough future sessions: the evaluation slice has "
            f"{eval_sessions} sessions with a known forward return (minimum "
            f"{params.min_eval_samples}) before the history ends"
        )
    if len(train_labelled) < params.min_train_samples:
        return f"fewer than {params.min_train_samples} training samples ({len(train_labelled)})"
    classes = train_labelled.unique()
    if len(classes) < 2:
        return f"a single label class in training: every label is {int(classes[0])}"
    return None


def classification_metrics(
    y_true: np.ndarray, predicted: np.ndarray, scores: np.ndarray
) -> dict[str, float | None]:
    """Accuracy, precision, recall, F1 (positive class 1) and ROC AUC; None where undefined
    (no predicted positives for precision, no actual positives for recall)."""
    tp = int(((predicted == 1) & (y_true == 1)).sum())
    fp = int(((predicted == 1) & (y_true == 0)).sum())
    fn = int(((predicted == 0) & (y_true == 1)).sum())
    return {
        "eval_accuracy": float((predicted == y_true).mean()),
        "eval_precision": tp / (tp + fp) if tp + fp else None,
        "eval_recall": tp / (tp + fn) if tp + fn else None,
        "eval_f1": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else None,
        "eval_roc_auc": roc_auc(y_true, scores),
    }


def fit_window(
    train: pd.DataFrame, evaluation: pd.DataFrame, params: TrainingParams
) -> tuple[CatBoostClassifier, pd.DataFrame]:
    """Fit on the labelled training rows; score every evaluation row whose forward return is
    known (those without a decisive move too: they have no label, but they belong in the rank
    IC's cross-section).

    Sample weights are the rows' `weight` (`training_weights`) scaled to mean 1 over the
    training rows: only their relative size matters to the fit, and keeping their mean at 1
    leaves CatBoost's leaf regularisation as strong as it was tuned for unweighted rows. The
    training base rate, the reference of Brier skill and of the majority forecast, is the
    share of up labels under the same weights, so that the reference is the constant forecast
    this fit would make from no features. Returns the model and the prediction rows (columns
    `PREDICTION_COLUMNS` but `model`, `window_index` and `placebo`).
    """
    features = feature_columns(train)
    train = train.dropna(subset=["label"])
    evaluation = evaluation.dropna(subset=["forward_return"])
    y_train = train["label"].to_numpy(dtype="int64")
    weight = train["weight"].to_numpy(dtype="float64")
    model = CatBoostClassifier(**params.catboost_params())
    model.fit(train.loc[:, list(features)], y_train, sample_weight=weight / weight.mean())
    return model, pd.DataFrame(
        {
            "symbol": evaluation["symbol"].to_numpy(),
            "date": evaluation["date"].to_numpy(),
            "score": model.predict_proba(evaluation.loc[:, list(features)])[:, 1],
            "label": pd.array(evaluation["label"], dtype="Int8"),
            "forward_return": evaluation["forward_return"].to_numpy(dtype="float64"),
            "weight": evaluation["weight"].to_numpy(dtype="float64"),
            "train_base_rate": float(np.average(y_train, weights=weight)),
            "momentum": evaluation["past_return"].to_numpy(dtype="float64"),
        }
    )


def train_windows(
    symbol: str,
    labels: pd.DataFrame,
    params: TrainingParams,
    staging_dir: Path,
    published_dir: Path,
) -> TrainingResult:
    """Train every window of one symbol's teacher_labels rows.

    Models are written to `staging_dir` and recorded under `published_dir`, where the caller
    moves them once the runs are stored, so files and table never disagree. Run rows have the
    columns `RUN_COLUMNS`; prediction rows are marked model "per_symbol".
    """
    settings = stored_settings(labels)
    staging_dir.mkdir(parents=True, exist_ok=True)
    rows, predictions = [], []
    for window_index, rows_of_window in labels.groupby("window_index", sort=True):
        train = rows_of_window[rows_of_window["split"] == "train"]
        evaluation = rows_of_window[rows_of_window["split"] == "eval"]
        outcome = _train_one(
            int(window_index), train, evaluation, params, settings, staging_dir, published_dir
        )
        row = {"symbol": symbol, **outcome.row}
        if outcome.predictions is not None:
            scored = outcome.predictions
            labelled = scored.dropna(subset=["label"])
            y = labelled["label"].to_numpy(dtype="int64")
            predicted = (labelled["score"].to_numpy() > 0.5).astype("int64")
            majority = int(scored["train_base_rate"].iloc[0] > 0.5)
            row |= {
                **classification_metrics(y, predicted, labelled["score"].to_numpy()),
                "baseline_accuracy": float((y == majority).mean()),
            }
            predictions.append(scored)
        rows.append(row)
    return TrainingResult(
        _run_frame(rows, RUN_COLUMNS),
        _prediction_frame(predictions, "per_symbol", params.seed),
    )


def train_universe(
    labels: pd.DataFrame, params: TrainingParams, staging_dir: Path, published_dir: Path
) -> TrainingResult:
    """One model per walk-forward window on every symbol's training rows.

    `labels` holds the teacher_labels rows of all the symbols to pool, built with one set of
    settings. Each session of a symbol is used once (label rows repeat it per window). Windows
    are planned on the sorted union of their dates with the labels' own window size, step and
    purge, so every symbol shares the same date boundaries; where all symbols share one history
    they coincide with the per-symbol windows. Training rows must also have exited (`exit_date`)
    before the first evaluation date, which keeps the purge exact for a symbol that misses some
    of the union's sessions. Run rows have the columns `UNIVERSE_RUN_COLUMNS`; prediction rows
    are marked model "universe".
    """
    settings = stored_settings(labels)
    staging_dir.mkdir(parents=True, exist_ok=True)
    sessions = (
        labels.drop_duplicates(["symbol", "date"])
        .sort_values(["date", "symbol"], ignore_index=True)
        .drop(columns=["window_index", "split"])
    )
    dates = np.sort(sessions["date"].unique())
    spec = WindowSpec(int(settings["window_size"]), int(settings["window_step"]))
    purge = int(settings["purge"])
    rows, predictions = [], []
    for window in plan_windows(len(dates), 0, spec, purge):
        in_train = sessions["date"].between(dates[window.train_start], dates[window.train_stop - 1])
        evaluation = sessions.iloc[0:0]
        if window.eval_stop > window.eval_start:
            first_eval = dates[window.eval_start]
            in_train &= sessions["exit_date"] < first_eval
            evaluation = sessions[sessions["date"].between(first_eval, dates[window.eval_stop - 1])]
        train = sessions[in_train]
        outcome = _train_one(
            window.index, train, evaluation, params, settings, staging_dir, published_dir
        )
        row = {**outcome.row, "symbols": int(train.dropna(subset=["label"])["symbol"].nunique())}
        if outcome.predictions is not None:
            scored = outcome.predictions
            ic = rank_ic_by_date(
                scored["date"], scored["score"], scored["forward_return"], params.min_names
            )
            summary = ic_summary(ic, int(settings["horizon"]))
            row |= {
                "eval_rank_ic_mean": summary["rank_ic_mean"],
                "eval_rank_ic_dates": summary["rank_ic_dates"],
            }
            predictions.append(scored)
        rows.append(row)
    return TrainingResult(
        _run_frame(rows, UNIVERSE_RUN_COLUMNS),
        _prediction_frame(predictions, "universe", params.seed),
    )


def point_in_time_rows(labels: pd.DataFrame, spells: pd.DataFrame) -> pd.DataFrame:
    """The label rows whose symbol was a member of the index on the row's date (`spells`: one
    index's universe_membership rows), training and evaluation alike: a name that joined later
    adds nothing from before it joined, and a name that left keeps its rows from before it
    left. Today's list applied to every past date would let the future pick the sample."""
    return labels[is_member(spells, labels["symbol"], labels["date"])]


@dataclass(frozen=True)
class _Outcome:
    row: dict[str, object]
    predictions: pd.DataFrame | None


def _train_one(
    window_index: int,
    train: pd.DataFrame,
    evaluation: pd.DataFrame,
    params: TrainingParams,
    settings: Mapping[str, object],
    staging_dir: Path,
    published_dir: Path,
) -> _Outcome:
    """Train, score and save one window, or record why not; the row holds the columns both
    trainers share and the predictions carry the window index."""
    row: dict[str, object] = {"window_index": window_index, **_ranges(train, evaluation)}
    reason = skip_reason(train, evaluation, params)
    if reason is not None:
        return _Outcome({**row, "status": "skipped", "reason": reason}, None)
    train = train.assign(weight=training_weights(train, int(settings["purge"])))
    name = model_file_name(window_index)
    features = feature_columns(train)
    fingerprint = data_fingerprint(train.dropna(subset=["label"]), features)
    started = time.perf_counter()
    try:
        model, predictions = fit_window(train, evaluation, params)
        used = model.get_all_params()
        importances = dict(zip(features, model.get_feature_importance().tolist(), strict=True))
        write_model_metadata(
            model,
            {
                "settings": dict(settings),
                "hyper_parameters": used,
                "data_fingerprint": fingerprint,
                "symbols": sorted(train["symbol"].unique()),
                "window_index": window_index,
                "train_start": row["train_start"],
                "train_end": row["train_end"],
                "features": list(features),
            },
        )
        model.save_model(str(staging_dir / name))
    except CatBoostError as exc:
        return _Outcome({**row, "status": "failed", "reason": f"CatBoost error: {exc}"}, None)
    fit_seconds = time.perf_counter() - started
    return _Outcome(
        {
            **row,
            **window_metrics(predictions, int(settings["horizon"])),
            "status": "trained",
            "feature_importances": json.dumps(importances),
            "hyper_parameters": json.dumps(used, sort_keys=True, default=str),
            "settings": settings_json(settings),
            "data_fingerprint": fingerprint,
            "model_path": str(published_dir / name),
            "fit_seconds": fit_seconds,
        },
        predictions.assign(window_index=window_index),
    )


def _run_frame(rows: list[dict[str, object]], columns: tuple[str, ...]) -> pd.DataFrame:
    """Run rows with text columns typed as text even where every value is missing (a batch of
    trained windows has no reason), so that a writer never sees a float column of NaN."""
    text = (
        "status",
        "reason",
        "feature_importances",
        "hyper_parameters",
        "settings",
        "data_fingerprint",
        "model_path",
    )
    return pd.DataFrame(rows, columns=list(columns)).astype(dict.fromkeys(text, "object"))


def _prediction_frame(parts: list[pd.DataFrame], model: str, seed: int) -> pd.DataFrame:
    if not parts:
        frame = pd.DataFrame({name: [] for name in PREDICTION_COLUMNS})
        return frame.astype({"date": "datetime64[ns]", "label": "Int8", "window_index": "int64"})
    frame = pd.concat(parts, ignore_index=True).assign(model=model)
    frame["placebo"] = placebo_scores(frame["symbol"], frame["date"], seed)
    return frame.loc[:, list(PREDICTION_COLUMNS)]


def _ranges(train: pd.DataFrame, evaluation: pd.DataFrame) -> dict[str, object]:
    train_labels = train["label"].dropna()
    eval_labels = evaluation["label"].dropna()
    return {
        "train_start": train["date"].min() if not train.empty else None,
        "train_end": train["date"].max() if not train.empty else None,
        "eval_start": evaluation["date"].min() if not evaluation.empty else None,
        "eval_end": evaluation["date"].max() if not evaluation.empty else None,
        "train_rows": len(train_labels),
        "eval_rows": len(eval_labels),
        "train_positive_rate": float(train_labels.mean()) if len(train_labels) else None,
        "eval_positive_rate": float(eval_labels.mean()) if len(eval_labels) else None,
    }
