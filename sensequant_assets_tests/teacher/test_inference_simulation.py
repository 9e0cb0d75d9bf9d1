"""Simulation proof that the teacher's uncertainty keeps its promises under the null.

On panels where scores and returns are independent (so the true AUC is 0.5, the true mean rank
IC 0 and the true Brier skill known in closed form), with forward returns that overlap for H
sessions exactly as the labels' do (a return spans H + 1 daily increments), and with scores
either persistent (AR(1), 0.9, as a model's or the placebo's are) or white noise:

- the rank-IC t-test (`ic_summary`) rejects at 5 %;
- the 95 % intervals (`hac_interval`, as `pooled_report` builds them) of AUC, Brier skill and
  mean rank IC cover the truth 95 % of the time;

at H = 5 and H = 20, each within the simulation's own error: with R replications a correct
procedure's observed rate has binomial standard error sqrt(p (1 - p) / R), and the band is
three of them either side (a correct procedure lands outside it with probability 0.27 %).
R is 1000 here (band ±2.1 points, seconds per case); `SENSEQUANT_SIMULATION_REPS` sets it
(`make bench` runs 5000). Everything is seeded, so a run is reproducible.

The same simulations with the former settings put back, Newey-West with Bartlett lag H + 1 and
a circular block bootstrap with blocks of H + 1 dates, land outside the band: the tests below
show it, so a return to them fails the suite.
"""

import math
import os
from functools import cache

import numpy as np
import pandas as pd
import pytest

from sensequant_assets.teacher.metrics import (
    Auc,
    Ratio,
    Statistic,
    _brier_skill_statistic,
    hac_interval,
    ic_summary,
    newey_west_se,
)

REPS = int(os.environ.get("SENSEQUANT_SIMULATION_REPS", "1000"))
DATES = 600  # about the evaluation dates of a 3-year history
IC_NAMES = 30
AUC_NAMES = 4  # a few symbols' pooled rows, the per-symbol report's shape
SCORE_AR = 0.9
SLOPE = 0.6  # probability = logistic(SLOPE * score): a model that varies but knows nothing
BASE_RATE = 0.45  # the training base rate, the Brier reference
THRESHOLD = 0.5  # |standardised forward return| beyond this is decisive (about 62 % of rows)


def band(nominal: float, reps: int = REPS) -> tuple[float, float]:
    error = 3 * math.sqrt(nominal * (1 - nominal) / reps)
    return nominal - error, nominal + error


def panel(
    rng: np.random.Generator, names: int, horizon: int, persistent: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Scores and standardised forward returns, (dates x names), independent of each other.
    A forward return sums the H + 1 daily increments after its date, so returns of dates up
    to H apart overlap, as next-session-entry labels do."""
    span = horizon + 1
    walk = np.vstack(
        [np.zeros((1, names)), np.cumsum(rng.standard_normal((DATES + span, names)), 0)]
    )
    forward = (walk[1 + span : 1 + span + DATES] - walk[1 : 1 + DATES]) / math.sqrt(span)
    if not persistent:
        return rng.standard_normal((DATES, names)), forward
    scores = np.empty((DATES, names))
    scores[0] = rng.standard_normal(names)
    shocks = rng.standard_normal((DATES, names)) * math.sqrt(1 - SCORE_AR**2)
    for t in range(1, DATES):
        scores[t] = SCORE_AR * scores[t - 1] + shocks[t]
    return scores, forward


def daily_rank_ic(scores: np.ndarray, forward: np.ndarray) -> np.ndarray:
    ranks = [a.argsort(axis=1).argsort(axis=1).astype(float) for a in (scores, forward)]
    x, y = (r - r.mean(axis=1, keepdims=True) for r in ranks)
    return (x * y).sum(axis=1) / np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))


def logistic(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


@cache
def true_brier_skill() -> float:
    """1 - E(p - y)^2 / E(b - y)^2 with y a fair coin independent of p = logistic(SLOPE z),
    z ~ N(0, 1): E(p - y)^2 = E p^2 - E p + 1/2 (Gauss-Hermite quadrature, exact to 1e-12)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    p = logistic(SLOPE * nodes)
    model = weights @ (p**2) - weights @ p + 0.5
    return float(1 - model / (BASE_RATE**2 - BASE_RATE + 0.5))


def classification_rows(
    rng: np.random.Generator, horizon: int, persistent: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scores, forward = panel(rng, AUC_NAMES, horizon, persistent)
    label = np.where(forward > THRESHOLD, 1.0, np.where(forward < -THRESHOLD, 0.0, np.nan))
    dates = np.repeat(np.arange(DATES), AUC_NAMES)
    keep = ~np.isnan(label.ravel())
    return label.ravel()[keep], logistic(SLOPE * scores.ravel()[keep]), dates[keep]


def old_block_bootstrap(
    statistic: Statistic, units: np.ndarray, block: int, rng: np.random.Generator
) -> tuple[float, float]:
    """The former interval: percentile, circular blocks of `block` dates, 200 resamples."""
    _, unit_of_row = np.unique(units, return_inverse=True)
    n = unit_of_row.max() + 1
    starts = rng.integers(0, n, size=(200, -(-n // block)))
    drawn = ((starts[:, :, None] + np.arange(block)).reshape(200, -1)[:, :n]) % n
    counts = np.stack([np.bincount(row, minlength=n) for row in drawn]).astype(float)
    values = statistic(counts[:, unit_of_row])
    low, high = np.quantile(values[~np.isnan(values)], [0.025, 0.975])
    return float(low), float(high)


def coverage(horizon: int, persistent: bool, reps: int, old: bool = False) -> dict[str, float]:
    """Share of replications whose 95 % interval holds the truth, per figure."""
    rng = np.random.default_rng([horizon, persistent, old])
    held = {"roc_auc": 0, "brier_skill": 0, "rank_ic_mean": 0}
    dates = np.arange(DATES)
    for _ in range(reps):
        y, p, row_dates = classification_rows(rng, horizon, persistent)
        ic = daily_rank_ic(*panel(rng, IC_NAMES, horizon, persistent))
        cases: list[tuple[str, Statistic, np.ndarray, float]] = [
            ("roc_auc", Auc(y, p), row_dates, 0.5),
            (
                "brier_skill",
                _brier_skill_statistic(y, p, np.array(BASE_RATE)),
                row_dates,
                true_brier_skill(),
            ),
            ("rank_ic_mean", Ratio(ic, np.ones(DATES)), dates, 0.0),
        ]
        for name, statistic, units, truth in cases:
            if old:
                low, high = old_block_bootstrap(statistic, units, horizon + 1, rng)
            else:
                low, high = hac_interval(statistic, units, horizon)
            held[name] += low <= truth <= high
    return {name: count / reps for name, count in held.items()}


def rejection_rate(horizon: int, persistent: bool, reps: int, old: bool = False) -> float:
    """Share of replications in which the rank-IC t-test rejects a zero mean at 5 %."""
    rng = np.random.default_rng([horizon, persistent, 7])
    rejected = 0
    for _ in range(reps):
        ic = daily_rank_ic(*panel(rng, IC_NAMES, horizon, persistent))
        if old:
            rejected += abs(ic.mean() / newey_west_se(ic, horizon + 1)) > 1.96
        else:
            summary = ic_summary(pd.Series(ic), horizon)
            rejected += abs(summary["rank_ic_t"]) > summary["rank_ic_t_critical"]
    return rejected / reps


CASES = [
    pytest.param(h, persistent, id=f"H{h}-{'persistent' if persistent else 'white'}")
    for h in (5, 20)
    for persistent in (True, False)
]


@pytest.mark.parametrize(("horizon", "persistent"), CASES)
def test_the_rank_ic_t_test_rejects_at_five_percent_under_the_null(
    horizon: int, persistent: bool
) -> None:
    rate = rejection_rate(horizon, persistent, REPS)
    low, high = band(0.05)
    print(
        f"\nrank-IC t-test, H={horizon}, persistent={persistent}: rejects {rate:.3f} ({REPS} reps)"
    )
    assert low <= rate <= high


@pytest.mark.parametrize(("horizon", "persistent"), CASES)
def test_the_95_percent_intervals_cover_95_percent_under_the_null(
    horizon: int, persistent: bool
) -> None:
    covered = coverage(horizon, persistent, REPS)
    low, high = band(0.95)
    print(f"\nintervals, H={horizon}, persistent={persistent}: cover {covered} ({REPS} reps)")
    assert all(low <= share <= high for share in covered.values()), covered


@pytest.mark.parametrize("horizon", [5, 20])
def test_the_former_newey_west_lag_rejects_too_often(horizon: int) -> None:
    rate = rejection_rate(horizon, True, REPS, old=True)
    print(f"\nformer Newey-West lag {horizon + 1}, persistent scores: rejects {rate:.3f}")
    assert rate > band(0.05)[1]


def test_the_former_block_length_covers_too_little() -> None:
    covered = coverage(5, True, REPS // 2, old=True)
    print(f"\nformer blocks of 6 dates, H=5, persistent scores: cover {covered}")
    low = band(0.95, REPS // 2)[0]
    assert covered["roc_auc"] < low and covered["rank_ic_mean"] < low
