"""The teacher's GPU switch on a real CUDA device; skipped where there is none, as in CI.

On a GPU machine (only pandas, numpy, catboost and duckdb needed, no Dagster):
    python -m pytest --noconftest -s sensequant_assets_tests/teacher/test_gpu.py
The same windows are trained on CPU and on GPU; `-s` prints both for docs/benchmarks.md.
"""

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from catboost.utils import get_gpu_device_count

from sensequant_assets.teacher.labels import LabelSpec, label_table
from sensequant_assets.teacher.training import (
    TrainingParams,
    device_problem,
    feature_columns,
    load_model,
    train_windows,
)
from sensequant_assets.teacher.windows import WindowSpec
from sensequant_assets_tests.teacher.factories import random_walk_bars

pytestmark = pytest.mark.skipif(get_gpu_device_count() == 0, reason="no CUDA device here")

SYMBOLS = ("GPU0", "GPU1", "GPU2")
SESSIONS = pd.bdate_range("2022-01-03", periods=750)  # three years of weekday sessions


def train_all(params: TrainingParams, root: Path) -> pd.DataFrame:
    runs = []
    for seed, symbol in enumerate(SYMBOLS):
        bars = random_walk_bars(symbol, seed, dates=SESSIONS)
        labels = label_table(symbol, bars, LabelSpec(), WindowSpec())
        runs.append(train_windows(symbol, labels, params, root / symbol, root / symbol).runs)
    return pd.concat(runs, ignore_index=True)


def test_gpu_trains_the_same_windows_as_cpu_and_its_models_reload_on_cpu(tmp_path: Path):
    cpu = TrainingParams()
    gpu = dataclasses.replace(cpu, task_type="GPU")
    assert device_problem(gpu) is None

    started = time.perf_counter()
    cpu_runs = train_all(cpu, tmp_path / "cpu")
    cpu_seconds = time.perf_counter() - started
    started = time.perf_counter()
    gpu_runs = train_all(gpu, tmp_path / "gpu")
    gpu_seconds = time.perf_counter() - started

    assert not (gpu_runs["status"] == "failed").any(), gpu_runs["reason"].dropna().tolist()
    assert gpu_runs["status"].tolist() == cpu_runs["status"].tolist()
    trained = gpu_runs[gpu_runs["status"] == "trained"]
    assert len(trained) >= 2 * len(SYMBOLS)
    for run in trained.itertuples():
        assert json.loads(run.hyper_parameters)["task_type"] == "GPU"
        assert 0.0 <= run.eval_accuracy <= 1.0

    # A model trained on the GPU is used on CPU-only machines later: it must load and score there.
    bars = random_walk_bars(SYMBOLS[0], 0, dates=SESSIONS)
    labels = label_table(SYMBOLS[0], bars, LabelSpec(), WindowSpec())
    first = trained.iloc[0]
    rows = labels[(labels["window_index"] == first.window_index) & (labels["split"] == "eval")]
    rows = rows.dropna(subset=["label"])
    predicted = load_model(Path(first.model_path)).predict(rows.loc[:, list(feature_columns(rows))])
    accuracy = float((predicted.astype("int64").ravel() == rows["label"].to_numpy()).mean())
    assert accuracy == pytest.approx(first.eval_accuracy)

    both = cpu_runs[cpu_runs["status"] == "trained"]
    auc_gap = np.abs(trained["eval_roc_auc"].to_numpy(float) - both["eval_roc_auc"].to_numpy(float))
    print(
        f"\nGPU check: {len(trained)} windows of {len(SYMBOLS)} symbols. "
        f"CPU ({cpu.thread_count} threads): {cpu_seconds:.2f} s, mean AUC "
        f"{both['eval_roc_auc'].mean():.3f}, mean accuracy {both['eval_accuracy'].mean():.3f}. "
        f"GPU: {gpu_seconds:.2f} s, mean AUC {trained['eval_roc_auc'].mean():.3f}, "
        f"mean accuracy {trained['eval_accuracy'].mean():.3f}; "
        f"largest per-window AUC difference {np.nanmax(auc_gap):.3f}"
    )
