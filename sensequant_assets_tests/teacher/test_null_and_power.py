"""The proof that the teacher's headline numbers mean what they say, on synthetic bars.

NULL: on pure random walks nothing can be learned, so the pooled out-of-sample figures must sit
at chance: pooled ROC AUC within 0.5 ± 0.03, Brier skill against the training base rate at most
0.01, mean rank IC within two (Hansen-Hodrick) standard errors of 0.
POWER: on bars with a planted, learnable signal (`planted_signal_bars`), the same figures must
find it: pooled ROC AUC at least 0.6.

Both run the production settings (labels, windows and CatBoost defaults) for the per-symbol models
and the universe model. The bounds are the ones the issue set; nothing here was tuned to pass.
`pytest -s` prints the measured figures for docs/benchmarks.md.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant_assets.teacher.economics import IndianEquityCosts, economic_summary, economic_test
from sensequant_assets.teacher.labels import LabelSpec, label_table
from sensequant_assets.teacher.metrics import pooled_report, roc_auc
from sensequant_assets.teacher.training import TrainingParams, train_universe, train_windows
from sensequant_assets.teacher.windows import WindowSpec
from sensequant_assets_tests.teacher.factories import (
    hidden_state,
    planted_signal_bars,
    random_walk_bars,
)

NULL_SYMBOLS = 24
POWER_SYMBOLS = 16
# The planted effect: next-session drift of 0.8 daily σ per unit of the hidden state. An oracle
# that knew the state would rank the labels at AUC ≈ 0.87; the volume feature alone at ≈ 0.72.
PLANTED_STRENGTH = 0.8
LABELS = LabelSpec()
WINDOWS = WindowSpec()
PARAMS = TrainingParams()


@dataclass(frozen=True)
class Run:
    """Labels, runs, predictions and pooled reports of both trainers on one synthetic batch."""

    labels: pd.DataFrame
    runs: pd.DataFrame
    predictions: pd.DataFrame
    report: pd.DataFrame
    universe_runs: pd.DataFrame
    universe_predictions: pd.DataFrame
    universe_report: pd.DataFrame


def run_teacher(bars: list[pd.DataFrame], root: Path) -> Run:
    tables = [label_table(b["symbol"].iloc[0], b, LABELS, WINDOWS) for b in bars]
    per_symbol = [
        train_windows(t["symbol"].iloc[0], t, PARAMS, root / "s", root / "p") for t in tables
    ]
    labels = pd.concat(tables, ignore_index=True)
    universe = train_universe(labels, PARAMS, root / "us", root / "up")
    predictions = pd.concat([r.predictions for r in per_symbol], ignore_index=True)

    def report(frame: pd.DataFrame) -> pd.DataFrame:
        return pooled_report(frame, LABELS.horizon, min_names=PARAMS.min_names)

    return Run(
        labels,
        pd.concat([r.runs for r in per_symbol], ignore_index=True),
        predictions,
        report(predictions),
        universe.runs,
        universe.predictions,
        report(universe.predictions),
    )


@pytest.fixture(scope="module")
def null(tmp_path_factory: pytest.TempPathFactory) -> Run:
    bars = [random_walk_bars(f"N{i:02d}", seed=1000 + i) for i in range(NULL_SYMBOLS)]
    return run_teacher(bars, tmp_path_factory.mktemp("null"))


@pytest.fixture(scope="module")
def power(tmp_path_factory: pytest.TempPathFactory) -> Run:
    bars = [
        planted_signal_bars(f"P{i:02d}", seed=2000 + i, strength=PLANTED_STRENGTH)
        for i in range(POWER_SYMBOLS)
    ]
    return run_teacher(bars, tmp_path_factory.mktemp("power"))


def cell(report: pd.DataFrame, metric: str, scorer: str = "model") -> dict[str, float]:
    row = report[(report["scorer"] == scorer) & (report["metric"] == metric)]
    return row.iloc[0].to_dict()


def show(report: pd.DataFrame, metric: str, scorer: str = "model") -> str:
    value = cell(report, metric, scorer)
    if pd.isna(value["ci_low"]):
        return f"{value['value']:.3f}"
    return f"{value['value']:.3f} [{value['ci_low']:.3f}, {value['ci_high']:.3f}]"


def per_symbol_pooled_auc(predictions: pd.DataFrame) -> np.ndarray:
    labelled = predictions.dropna(subset=["label"])
    return np.array(
        [
            roc_auc(rows["label"].to_numpy(dtype=int), rows["score"].to_numpy())
            for _, rows in labelled.groupby("symbol")
        ]
    )


@pytest.mark.parametrize("model", ["per_symbol", "universe"])
def test_null_pooled_auc_is_at_chance(null: Run, model: str) -> None:
    report = null.report if model == "per_symbol" else null.universe_report
    auc = cell(report, "roc_auc")["value"]
    print(
        f"\nNULL {model} ({NULL_SYMBOLS} random walks x 3 years, {cell(report, 'roc_auc')['n']} "
        f"labelled evaluation rows): pooled AUC {show(report, 'roc_auc')}; "
        f"momentum {show(report, 'roc_auc', 'momentum')}, "
        f"placebo {show(report, 'roc_auc', 'placebo')}"
    )
    if model == "per_symbol":
        each = per_symbol_pooled_auc(null.predictions)
        windows = pd.to_numeric(null.runs["eval_roc_auc"], errors="coerce").dropna()
        print(
            f"  per symbol: mean of pooled AUCs {each.mean():.3f} (se "
            f"{each.std(ddof=1) / np.sqrt(len(each)):.3f}); mean of {len(windows)} per-window "
            f"AUCs {windows.mean():.3f} (se {windows.std(ddof=1) / np.sqrt(len(windows)):.3f})"
        )
    assert abs(auc - 0.5) <= 0.03


@pytest.mark.parametrize("model", ["per_symbol", "universe"])
def test_null_brier_skill_is_not_above_zero(null: Run, model: str) -> None:
    report = null.report if model == "per_symbol" else null.universe_report
    print(
        f"\nNULL {model}: Brier skill vs training base rate {show(report, 'brier_skill')}, "
        f"log-loss {show(report, 'log_loss')} (majority {show(report, 'log_loss', 'majority')}), "
        f"accuracy - majority {show(report, 'accuracy_over_majority')}"
    )
    assert cell(report, "brier_skill")["value"] <= 0.01


@pytest.mark.parametrize("model", ["per_symbol", "universe"])
def test_null_mean_rank_ic_is_within_two_standard_errors_of_zero(null: Run, model: str) -> None:
    report = null.report if model == "per_symbol" else null.universe_report
    t = cell(report, "rank_ic_t")["value"]
    print(
        f"\nNULL {model}: mean rank IC {show(report, 'rank_ic_mean')} over "
        f"{cell(report, 'rank_ic_mean')['n']} dates, t {t:.2f}, hit rate "
        f"{show(report, 'rank_ic_hit_rate')}; placebo {show(report, 'rank_ic_mean', 'placebo')} "
        f"(t {cell(report, 'rank_ic_t', 'placebo')['value']:.2f}), momentum "
        f"{show(report, 'rank_ic_mean', 'momentum')}"
    )
    # |mean| <= 2 standard errors is |t| <= 2, t being mean / (Hansen-Hodrick standard error)
    assert abs(t) <= 2.0


@pytest.mark.parametrize("model", ["per_symbol", "universe"])
def test_power_pooled_auc_finds_the_planted_signal(power: Run, model: str) -> None:
    report = power.report if model == "per_symbol" else power.universe_report
    predictions = power.predictions if model == "per_symbol" else power.universe_predictions
    labelled = predictions.dropna(subset=["label"])
    y = labelled["label"].to_numpy(dtype=int)
    # what the planted state itself, and the one feature that reveals it, achieve on these rows
    dates = planted_signal_bars("P00", seed=2000, strength=PLANTED_STRENGTH)["date"]
    states = {
        f"P{i:02d}": pd.Series(hidden_state(2000 + i, len(dates)), index=dates)
        for i in range(POWER_SYMBOLS)
    }
    known = pd.Series(
        [states[s][d] for s, d in zip(labelled["symbol"], labelled["date"], strict=True)]
    )
    print(
        f"\nPOWER {model} ({POWER_SYMBOLS} planted-signal series, strength {PLANTED_STRENGTH}): "
        f"pooled AUC {show(report, 'roc_auc')}, Brier skill {show(report, 'brier_skill')}, "
        f"mean rank IC {show(report, 'rank_ic_mean')} (t "
        f"{cell(report, 'rank_ic_t')['value']:.1f}); oracle (hidden state) AUC "
        f"{roc_auc(y, known.to_numpy()):.3f}; momentum {show(report, 'roc_auc', 'momentum')}, "
        f"placebo {show(report, 'roc_auc', 'placebo')}"
    )
    assert cell(report, "roc_auc")["value"] >= 0.6


def books(predictions: pd.DataFrame, bars: list[pd.DataFrame]) -> dict[str, object]:
    test = economic_test(
        predictions,
        pd.concat(bars, ignore_index=True),
        IndianEquityCosts(),
        holding=LABELS.horizon,
        min_names=PARAMS.min_names,
    )
    return economic_summary(test)


def show_book(book: dict[str, float]) -> str:
    return (
        f"gross {book['gross_annual_return']:+.3f}/yr, costs {book['cost_annual']:.3f}/yr, net "
        f"{book['net_annual_return']:+.3f}/yr (excess over equal weight "
        f"{book['net_excess_annual_return']:+.3f}), turnover {book['turnover_daily']:.2f}/day, "
        f"net Sharpe {book['net_sharpe']:.2f} [{book['net_sharpe_low']:.2f}, "
        f"{book['net_sharpe_high']:.2f}], max drawdown {book['max_drawdown']:.3f}"
    )


def test_null_the_universe_books_lose_net_of_costs(null: Run) -> None:
    bars = [random_walk_bars(f"N{i:02d}", seed=1000 + i) for i in range(NULL_SYMBOLS)]
    result = books(null.universe_predictions, bars)
    for scorer in ("model", "momentum"):
        part = result[scorer]
        decay = part["ic_decay"]
        print(
            f"\nNULL economics, {scorer}: long-short {show_book(part['long_short'])}; long-only "
            f"{show_book(part['long_only'])}; IC decay h=1 {decay['1']:+.3f}, h=5 "
            f"{decay['5']:+.3f}, h=20 {decay['20']:+.3f}"
        )
        assert part["long_short"]["net_annual_return"] < 0
        assert part["long_only"]["net_excess_annual_return"] < 0


def test_power_the_universe_long_short_book_earns_net_of_costs(power: Run) -> None:
    bars = [
        planted_signal_bars(f"P{i:02d}", seed=2000 + i, strength=PLANTED_STRENGTH)
        for i in range(POWER_SYMBOLS)
    ]
    result = books(power.universe_predictions, bars)
    for scorer in ("model", "momentum"):
        part = result[scorer]
        decay = part["ic_decay"]
        print(
            f"\nPOWER economics, {scorer}: long-short {show_book(part['long_short'])}; "
            f"long-only {show_book(part['long_only'])}; IC decay h=1 {decay['1']:+.3f}, h=5 "
            f"{decay['5']:+.3f}, h=20 {decay['20']:+.3f}"
        )
    assert result["model"]["long_short"]["net_sharpe_low"] > 0
