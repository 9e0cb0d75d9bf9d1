"""One CatBoost classifier per walk-forward window, evaluated out of sample.

The original split each window 80/20 at random (its validation saw the future) and logged
hyper-parameters it did not train with. Here a window trains on its training rows only and is
scored on its evaluation slice, which lies after the purge gap; the hyper-parameters recorded
are the ones CatBoost reports it used (`get_all_params`). A window that cannot be trained by
rule is skipped with its reason; a CatBoost error is recorded as a failure and raised by the
asset after the other windows are stored.
"""

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, CatBoostError
from catboost.utils import get_gpu_device_count

from sensequant_assets.teacher.features import FEATURE_NAMES

RUN_COLUMNS: tuple[str, ...] = (
    "symbol",
    "window_index",
    "status",
    "reason",
    "train_start",
    "train_end",
    "eval_start",
    "eval_end",
    "train_rows",
    "eval_rows",
    "train_positive_rate",
    "eval_positive_rate",
    "eval_accuracy",
    "eval_precision",
    "eval_recall",
    "eval_f1",
    "eval_roc_auc",
    "baseline_accuracy",
    "feature_importances",
    "hyper_parameters",
    "model_path",
    "fit_seconds",
)


@dataclass(frozen=True)
class TrainingParams:
    """CatBoost settings and the sample minimums of the skip rules.

    150 iterations of depth-4 trees on 64 feature borders fit a 252-row window in about 0.05 s on
    two cores, which keeps the whole universe inside its two-minute budget. CatBoost's default of
    254 borders is finer than a 252-row window can resolve and triples the fit time.
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


def skip_reason(
    train: pd.DataFrame, evaluation: pd.DataFrame, params: TrainingParams
) -> str | None:
    """Why a window cannot be trained (None if it can). Checked in this order: not enough future
    sessions, too few samples, a single label class."""
    train_labelled = train["label"].dropna()
    eval_labelled = evaluation["label"].dropna()
    history_ends = evaluation.empty or evaluation["label"].isna().any()
    if train["label"].isna().any() or (
        history_ends and len(eval_labelled) < params.min_eval_samples
    ):
        return (
            "not enough future sessions: the evaluation slice has "
            f"{len(eval_labelled)} labelled sessions (minimum {params.min_eval_samples}) "
            "before the history ends"
        )
    if len(train_labelled) < params.min_train_samples:
        return f"fewer than {params.min_train_samples} training samples ({len(train_labelled)})"
    if len(eval_labelled) < params.min_eval_samples:
        return f"fewer than {params.min_eval_samples} evaluation samples ({len(eval_labelled)})"
    classes = train_labelled.unique()
    if len(classes) < 2:
        return f"a single label class in training: every label is {int(classes[0])}"
    return None


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); None with one class only."""
    positives = int(y_true.sum())
    negatives = len(y_true) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    return float(
        (ranks[y_true == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    )


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
) -> tuple[CatBoostClassifier, dict[str, object]]:
    """Fit on the labelled training rows and score the labelled evaluation rows."""
    train = train.dropna(subset=["label"])
    evaluation = evaluation.dropna(subset=["label"])
    y_train = train["label"].to_numpy(dtype="int64")
    y_eval = evaluation["label"].to_numpy(dtype="int64")
    model = CatBoostClassifier(**params.catboost_params())
    model.fit(train.loc[:, list(FEATURE_NAMES)], y_train)
    x_eval = evaluation.loc[:, list(FEATURE_NAMES)]
    scores = model.predict_proba(x_eval)[:, 1]
    predicted = model.predict(x_eval).astype("int64").ravel()
    majority = int(y_train.mean() > 0.5)
    importances = dict(zip(FEATURE_NAMES, model.get_feature_importance().tolist(), strict=True))
    return model, {
        **classification_metrics(y_eval, predicted, scores),
        "baseline_accuracy": float((y_eval == majority).mean()),
        "feature_importances": json.dumps(importances),
        "hyper_parameters": json.dumps(model.get_all_params(), sort_keys=True, default=str),
    }


def train_windows(
    symbol: str,
    labels: pd.DataFrame,
    params: TrainingParams,
    staging_dir: Path,
    published_dir: Path,
) -> pd.DataFrame:
    """Train every window of one symbol's teacher_labels rows; one teacher_runs row per window.

    Models are written to `staging_dir` and recorded under `published_dir`, where the caller
    moves them once the runs are stored, so files and table never disagree.
    """
    staging_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for window_index, rows_of_window in labels.groupby("window_index", sort=True):
        train = rows_of_window[rows_of_window["split"] == "train"]
        evaluation = rows_of_window[rows_of_window["split"] == "eval"]
        row: dict[str, object] = {
            "symbol": symbol,
            "window_index": int(window_index),
            **_ranges(train, evaluation),
        }
        reason = skip_reason(train, evaluation, params)
        if reason is not None:
            rows.append({**row, "status": "skipped", "reason": reason})
            continue
        name = model_file_name(int(window_index))
        started = time.perf_counter()
        try:
            model, metrics = fit_window(train, evaluation, params)
            model.save_model(str(staging_dir / name))
        except CatBoostError as exc:
            rows.append({**row, "status": "failed", "reason": f"CatBoost error: {exc}"})
            continue
        rows.append(
            {
                **row,
                **metrics,
                "status": "trained",
                "model_path": str(published_dir / name),
                "fit_seconds": time.perf_counter() - started,
            }
        )
    return pd.DataFrame(rows, columns=list(RUN_COLUMNS))


def _ranges(train: pd.DataFrame, evaluation: pd.DataFrame) -> dict[str, object]:
    train_labels = train["label"].dropna()
    eval_labels = evaluation["label"].dropna()
    return {
        "train_start": train["date"].min(),
        "train_end": train["date"].max(),
        "eval_start": evaluation["date"].min() if not evaluation.empty else None,
        "eval_end": evaluation["date"].max() if not evaluation.empty else None,
        "train_rows": len(train_labels),
        "eval_rows": len(eval_labels),
        "train_positive_rate": float(train_labels.mean()) if len(train_labels) else None,
        "eval_positive_rate": float(eval_labels.mean()) if len(eval_labels) else None,
    }
