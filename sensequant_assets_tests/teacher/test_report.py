"""What the Dagster UI shows: undefined reads "undefined" (never 0, never "nan"), intervals are
printed, and the charts render whatever the runs hold."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant_assets.teacher.labels import LabelSpec, label_table
from sensequant_assets.teacher.metrics import common_rows, pooled_report
from sensequant_assets.teacher.report import (
    comparison_markdown,
    differences_markdown,
    evaluation_chart_png,
    labels_markdown,
    model_markdown,
    pooled_markdown,
    runs_markdown,
    universe_markdown,
    verdict,
)
from sensequant_assets.teacher.training import TrainingParams, train_universe, train_windows
from sensequant_assets.teacher.windows import WindowSpec
from sensequant_assets_tests.teacher.factories import random_walk_bars

FAST = TrainingParams(iterations=20, depth=3)
PNG = b"\x89PNG"


@pytest.fixture(scope="module")
def tables() -> list[pd.DataFrame]:
    return [
        label_table(f"R{i}", random_walk_bars(f"R{i}", seed=40 + i), LabelSpec(), WindowSpec())
        for i in range(5)
    ]


@pytest.fixture(scope="module")
def trained(tables: list[pd.DataFrame], tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("report")
    return [train_windows(t["symbol"].iloc[0], t, FAST, root, root) for t in tables]


def test_the_pooled_table_says_undefined_and_not_applicable_apart(trained) -> None:
    table = pooled_markdown(pooled_report(trained[0].predictions, 6))
    lines = table.splitlines()
    assert lines[0] == "| metric | model | majority | momentum | placebo | rows |"
    auc = next(line for line in lines if line.startswith("| ROC AUC"))
    assert auc.count("[") == 4  # every scorer has an AUC with its interval
    # a ranking has no log-loss: not applicable ("–"), which is not the same as undefined
    log_loss = next(line for line in lines if line.startswith("| log-loss")).split(" | ")
    assert log_loss[1].count("[") == 1 and log_loss[3:5] == ["–", "–"]
    # one symbol has no cross-section: its rank IC is undefined, shown as such
    ic = next(line for line in lines if line.startswith("| mean rank IC"))
    assert ic == (
        "| mean rank IC (per date, across symbols) "
        "| undefined | undefined | undefined | undefined | 0 dates |"
    )
    assert "nan" not in table


def test_a_window_with_an_undefined_auc_reads_undefined(trained) -> None:
    runs = trained[0].runs.copy()
    runs.loc[1, ["eval_roc_auc", "eval_roc_auc_low", "eval_roc_auc_high"]] = None
    runs.loc[2, ["status", "reason"]] = ["skipped", "fewer than 20 evaluation samples (3)"]
    table = runs_markdown(runs)
    rows = table.splitlines()[2:]
    assert "| undefined |" in rows[1]
    assert rows[2].endswith("| fewer than 20 evaluation samples (3) |")
    assert "[" in rows[0] and "nan" not in table
    assert evaluation_chart_png("R0", runs).startswith(PNG)
    nothing = runs.assign(eval_roc_auc=np.nan, eval_roc_auc_low=np.nan, eval_roc_auc_high=np.nan)
    assert evaluation_chart_png("R0", nothing).startswith(PNG)


def test_the_model_and_universe_pages(trained, tables: list[pd.DataFrame], tmp_path: Path) -> None:
    first = trained[0]
    page = model_markdown("R0", first.runs, pooled_report(first.predictions, 6))
    assert page.startswith("**Pooled out of sample, R0**")
    assert "data:image/png;base64," in page
    universe = train_universe(pd.concat(tables, ignore_index=True), FAST, tmp_path, tmp_path)
    report = pooled_report(universe.predictions, 6)
    page = universe_markdown(universe.runs, universe.predictions, report, min_names=5)
    # the rank-IC series, the calibration curve and the windows
    assert page.count("data:image/png;base64,") == 3
    assert "| rank IC | symbols |" in page
    assert "Names per evaluation date: min 5, median 5, max 5" in page
    per_symbol = pd.concat([t.predictions for t in trained], ignore_index=True)
    a, b = common_rows(per_symbol, universe.predictions)
    side_by_side = comparison_markdown(pooled_report(a, 6), pooled_report(b, 6))
    assert side_by_side.splitlines()[0] == "| metric | per-symbol models | universe model |"
    assert "undefined" not in side_by_side  # five names: the rank IC is defined


def test_the_labels_table_counts_neutral_sessions(tables: list[pd.DataFrame]) -> None:
    table = labels_markdown(tables[0])
    lines = table.splitlines()
    assert lines[0] == (
        "| window | split | first | last | rows | return known | labelled | up share |"
    )
    window0_train = lines[2].split(" | ")
    assert window0_train[4] == "252" and window0_train[5] == "252"
    assert int(window0_train[6]) < 252  # sessions without a decisive move carry no label


def test_the_page_says_plainly_whether_the_model_beats_each_baseline(trained) -> None:
    report = pooled_report(trained[0].predictions, 5)
    table = differences_markdown(report)
    for baseline in ("majority", "momentum", "placebo"):
        assert f"| {baseline} |" in table
    assert verdict(0.01, 0.05) == "model better"
    assert verdict(-0.05, -0.01) == "model worse"
    assert verdict(-0.01, 0.05) == "no difference shown"
    page = model_markdown("R0", trained[0].runs, report, trained[0].predictions)
    assert "Does the model beat its baselines?" in page
    assert "![calibration](data:image/png;base64,iVBOR" in page
