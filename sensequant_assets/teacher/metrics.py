"""Out-of-sample metrics of the teacher, their confidence intervals, and the baselines they face.

Every figure here is computed on evaluation rows only: rows after a window's purge gap, scored by
a model that never saw them. "Undefined" (one class only, too few names on a date, a statistic
that divides by zero) is None or NaN, never 0: 0 is a real and very bad AUC.

Why pooled figures. An AUC inside one symbol's 63-row evaluation slice compares rows from dates a
few sessions apart whose labels share most of their price path, and whose features (computed
later) have already seen part of an earlier row's label: on pure random walks the mean of such
per-window AUCs read 0.578 where the pooled AUC over the same predictions was 0.498 (0.529
against 0.496 with the stationary features and next-session labels; docs/teacher.md). The headline
figures therefore pool all of a symbol's (or the universe's) evaluation rows. Across the universe
the first figure is the per-date cross-sectional rank IC, which only ever compares names on the
same date.

Why these intervals. Rows of nearby dates are dependent: labels overlap for H sessions, and a
persistent forecast makes a Brier score dependent for longer still. Every interval is a t
interval from the figure's influence over dates (`hac_interval`): Hansen-Hodrick weights over at
least the H lags of overlap and as many more as the data show dependence. The rank-IC t-test
uses the same standard error with H lags and a Student reference. Both were chosen by simulation
on the null (sensequant_assets_tests/teacher/test_inference_simulation.py): the former
Newey-West t with lag H + 1 rejected 8.6 % at 5 %, and the block bootstrap with blocks of H + 1
covered 89-91 % (a Politis-White stationary bootstrap, blocks about 12, covered about 90 % of
AUC and IC intervals in 200 replications).

Every statistic is a `Statistic`: computed from row weights (the point estimate is all ones)
and carrying its gradient, the influence `hac_interval` reads; a model-minus-baseline difference
is the statistic of the difference, so its interval is paired.
"""

import zlib
from collections.abc import Callable
from statistics import NormalDist

import numpy as np
import pandas as pd

# Resample-by-row cells held in memory at once while bootstrapping (8 bytes each).
_CELLS_PER_CHUNK = 4_000_000
# An interval is reported only where the statistic is defined on at least this share of resamples.
_MIN_DEFINED_SHARE = 0.9
# Persistence of the placebo score, about that of a 14-session oscillator.
PLACEBO_AR = 0.9
_PLACEBO_EPOCH = np.datetime64("2000-01-03")

SCORERS: tuple[str, ...] = ("model", "majority", "momentum", "placebo")
METRICS: tuple[str, ...] = (
    "roc_auc",
    "log_loss",
    "brier_score",
    "brier_skill",
    "accuracy_over_majority",
    "ts_rank_ic",
    "rank_ic_mean",
    "rank_ic_t",
    "rank_ic_hit_rate",
)
REPORT_COLUMNS: tuple[str, ...] = ("scorer", "metric", "value", "ci_low", "ci_high", "n")


class Statistic:
    """A figure computed from rows that each carry a weight, NaN where undefined.

    Called with a (k, rows) matrix of row weights it gives one value per row of weights (the
    point estimate is the all-ones case, so a formula is written once); `gradient` is the
    derivative of the point estimate with respect to each row's weight, from which
    `hac_interval` reads the figure's uncertainty (its influence function, Hampel 1974).
    """

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def gradient(self) -> np.ndarray:
        raise NotImplementedError


class Ratio(Statistic):
    """(w · numerator) / (w · denominator), or 1 minus it for a skill score; NaN where the
    denominator is 0."""

    def __init__(self, numerator: np.ndarray, denominator: np.ndarray, skill: bool = False):
        self.numerator = np.asarray(numerator, dtype="float64")
        self.denominator = np.broadcast_to(
            np.asarray(denominator, dtype="float64"), self.numerator.shape
        )
        self.skill = skill

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        value = _ratio(weights @ self.numerator, weights @ self.denominator)
        return 1.0 - value if self.skill else value

    def gradient(self) -> np.ndarray:
        total = self.denominator.sum()
        if total == 0:
            return np.full(len(self.numerator), np.nan)
        value = self.numerator.sum() / total
        slope = (self.numerator - value * self.denominator) / total
        return -slope if self.skill else slope


class Difference(Statistic):
    """first - second on the same rows: a paired comparison of two scorers."""

    def __init__(self, first: Statistic, second: Statistic):
        self.first, self.second = first, second

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        return self.first(weights) - self.second(weights)

    def gradient(self) -> np.ndarray:
        return self.first.gradient() - self.second.gradient()


class Auc(Statistic):
    """Mann-Whitney AUC, ties counted half, with each row weighted: the weighted share of
    (positive, negative) pairs ranked the right way round. Rows without a score are left out."""

    def __init__(self, y_true: np.ndarray, scores: np.ndarray):
        scores = np.asarray(scores, dtype="float64")
        scored = np.flatnonzero(~np.isnan(scores))
        self.rows = len(scores)
        self.order = scored[np.argsort(scores[scored], kind="stable")]
        sorted_scores = scores[self.order]
        self.positive = np.asarray(y_true, dtype="float64")[self.order]
        self.negative = 1.0 - self.positive
        self.starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        if not len(self.order):
            return np.full(len(weights), np.nan)
        drawn = weights[:, self.order]
        positives = np.add.reduceat(drawn * self.positive, self.starts, axis=1)
        negatives = np.add.reduceat(drawn * self.negative, self.starts, axis=1)
        below = np.cumsum(negatives, axis=1) - negatives
        wins = (positives * (below + 0.5 * negatives)).sum(axis=1)
        return _ratio(wins, positives.sum(axis=1) * negatives.sum(axis=1))

    def gradient(self) -> np.ndarray:
        out = np.zeros(self.rows)
        n_pos, n_neg = self.positive.sum(), self.negative.sum()
        if not len(self.order) or n_pos == 0 or n_neg == 0:
            return np.full(self.rows, np.nan)
        positives = np.add.reduceat(self.positive, self.starts)
        negatives = np.add.reduceat(self.negative, self.starts)
        below = np.cumsum(negatives) - negatives
        above = n_pos - np.cumsum(positives)
        auc = float((positives * (below + 0.5 * negatives)).sum() / (n_pos * n_neg))
        group = np.repeat(np.arange(len(self.starts)), np.diff(np.r_[self.starts, len(self.order)]))
        # a positive row wins over every negative ranked below it, a negative row is the loser
        # of a win by every positive ranked above it; ties count half
        wins = np.where(
            self.positive == 1,
            below[group] + 0.5 * negatives[group],
            above[group] + 0.5 * positives[group],
        )
        pairs = np.where(self.positive == 1, n_neg, n_pos)
        out[self.order] = (wins - auc * pairs) / (n_pos * n_neg)
        return out


def _scalar(statistic: Statistic, n_rows: int) -> float | None:
    value = float(statistic(np.ones((1, n_rows)))[0])
    return None if np.isnan(value) else value


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0."""
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, np.nan, numerator / safe)


def _weighted_mean(values: np.ndarray) -> Statistic:
    return Ratio(values, np.ones(len(values)))


def _clipped(probabilities: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(probabilities, dtype="float64"), 1e-15, 1 - 1e-15)


def _log_loss_terms(y_true: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    p = _clipped(probabilities)
    return -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))


def _brier_skill_statistic(
    y_true: np.ndarray, probabilities: np.ndarray, reference: np.ndarray
) -> Statistic:
    model = (np.asarray(probabilities, dtype="float64") - y_true) ** 2
    climatology = (np.broadcast_to(reference, y_true.shape).astype("float64") - y_true) ** 2
    return Ratio(model, climatology, skill=True)


def _accuracy_gain_terms(
    y_true: np.ndarray, predicted: np.ndarray, base_rate: np.ndarray
) -> np.ndarray:
    majority = (np.broadcast_to(base_rate, y_true.shape) > 0.5).astype("float64")
    return (predicted == y_true).astype("float64") - (majority == y_true).astype("float64")


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); None with one class only."""
    return _scalar(Auc(np.asarray(y_true), np.asarray(scores)), len(y_true))


def log_loss(y_true: np.ndarray, probabilities: np.ndarray) -> float | None:
    """Mean of -[y ln p + (1 - y) ln(1 - p)], p clipped to [1e-15, 1 - 1e-15]; None if empty."""
    y = np.asarray(y_true, dtype="float64")
    return _scalar(_weighted_mean(_log_loss_terms(y, probabilities)), len(y))


def brier_score(y_true: np.ndarray, probabilities: np.ndarray) -> float | None:
    """Mean of (p - y)^2; None if empty."""
    y = np.asarray(y_true, dtype="float64")
    return _scalar(_weighted_mean((np.asarray(probabilities) - y) ** 2), len(y))


def brier_skill(
    y_true: np.ndarray, probabilities: np.ndarray, reference: np.ndarray | float
) -> float | None:
    """1 - Brier(p) / Brier(reference), the reference forecast being the training base rate
    (per row, since it differs by window): 0 is no better than always forecasting the rate the
    model was trained on, negative is worse. None where the reference is never wrong."""
    y = np.asarray(y_true, dtype="float64")
    return _scalar(_brier_skill_statistic(y, probabilities, np.asarray(reference)), len(y))


def accuracy_over_majority(
    y_true: np.ndarray, predicted: np.ndarray, base_rate: np.ndarray | float
) -> float | None:
    """Accuracy of the 0/1 predictions minus that of always predicting the training majority
    class (1 where the training base rate exceeds 0.5); None if empty."""
    y = np.asarray(y_true, dtype="float64")
    terms = _accuracy_gain_terms(y, np.asarray(predicted), np.asarray(base_rate))
    return _scalar(_weighted_mean(terms), len(y))


def rank_ic_by_date(
    dates: pd.Series, scores: pd.Series, returns: pd.Series, min_names: int = 5
) -> pd.Series:
    """Spearman correlation between scores and forward returns across the names of each date
    (Pearson of their average-tie ranks), indexed by date; NaN on a date with fewer than
    `min_names` names or where either side is constant."""
    frame = pd.DataFrame(
        {"date": dates.to_numpy(), "score": scores.to_numpy(), "ret": returns.to_numpy()}
    ).dropna()
    grouped = frame.groupby("date")
    ranks = grouped[["score", "ret"]].rank(method="average")
    ranks = ranks - ranks.groupby(frame["date"]).transform("mean")
    sums = pd.DataFrame(
        {
            "cross": ranks["score"] * ranks["ret"],
            "score_sq": ranks["score"] ** 2,
            "ret_sq": ranks["ret"] ** 2,
        }
    ).groupby(frame["date"])
    totals = sums.sum()
    names = grouped.size()
    denominator = np.sqrt(totals["score_sq"] * totals["ret_sq"])
    ic = totals["cross"] / denominator.where(denominator > 0)
    return ic.where(names >= min_names).rename("rank_ic")


def newey_west_se(values: np.ndarray, lags: int) -> float | None:
    """Standard error of the mean of a serially correlated series, Newey-West (Bartlett weights
    1 - k/(lags+1), k = 1..lags). Forward returns over H sessions overlap for H - 1 lags, so a
    daily IC series is autocorrelated and the i.i.d. error sqrt(var/n) is too small. None with
    fewer than two values."""
    if (found := _long_run_variance(values, lags, lambda k: 1 - k / (lags + 1))) is None:
        return None
    n, variance = found
    return float(np.sqrt(max(variance, 0.0) / n))


def _long_run_variance(
    values: np.ndarray, lags: int, weight: Callable[[int], float]
) -> tuple[int, float] | None:
    """The count and long-run variance of `values` about their mean: the autocovariances at
    lags 0 .. `lags`, lag k counted twice at `weight(k)`; None with fewer than two values."""
    x = np.asarray(values, dtype="float64")
    n = len(x)
    if n < 2:
        return None
    deviations = x - x.mean()
    variance = deviations @ deviations / n
    for k in range(1, min(lags, n - 1) + 1):
        variance += 2 * weight(k) * (deviations[k:] @ deviations[:-k]) / n
    return n, float(variance)


def hansen_hodrick_se(values: np.ndarray, lags: int) -> float | None:
    """Standard error of the mean of a series whose autocorrelation ends after `lags` lags,
    Hansen-Hodrick: the autocovariances up to `lags` counted at full weight (Hansen and Hodrick,
    1980, J. Political Economy 88(5); the estimator for overlapping forward returns). A daily IC
    against H-session forward returns that overlap for `lags` sessions is such a series under
    the null, whatever the scores' own persistence, because returns that do not overlap are
    independent. Bartlett weights (`newey_west_se`) with a lag of about the overlap shrink
    exactly the lags that carry the dependence: with lag H + 1 the t-test rejected 8.6 % at 5 %.
    Uniform weights can give a negative variance in a small sample; then the Newey-West
    estimate with twice the lags is used, which is positive by construction (Newey and West,
    1987, Econometrica 55(3)). None with fewer than two values."""
    if (found := _long_run_variance(values, lags, lambda k: 1.0)) is None:
        return None
    n, variance = found
    if variance <= 0:
        return newey_west_se(values, 2 * lags)
    # Autocovariances about the sample mean are biased low by about the long-run variance / n
    # each, so their sum over 2 lags + 1 terms by (2 lags + 1) / n of it: scaled back. With no
    # lags this is the textbook n - 1 divisor. At 600 dates and 20-30 lags it was worth a point
    # of coverage (94 % -> 95 %, test_inference_simulation.py at 5000 replications).
    used = min(lags, n - 1)
    if n > 2 * used + 1:
        variance *= n / (n - 2 * used - 1)
    return float(np.sqrt(variance / n))


def ic_summary(ic: pd.Series, lags: int) -> dict[str, float | int | None]:
    """Mean rank IC over the dates where it is defined, its Hansen-Hodrick standard error with
    `lags` (the sessions over which forward returns overlap, the horizon H), the t-statistic
    mean / se with its two-sided 5 % critical value (Student t with `effective_df`), and the hit
    rate (share of dates with IC > 0)."""
    defined = ic.dropna().sort_index().to_numpy(dtype="float64")
    mean = float(defined.mean()) if len(defined) else None
    se = hansen_hodrick_se(defined, lags)
    return {
        "rank_ic_mean": mean,
        "rank_ic_se": se,
        "rank_ic_t": mean / se if mean is not None and se else None,
        "rank_ic_t_critical": (
            t_critical(effective_df(len(defined), lags)) if len(defined) > 1 else None
        ),
        "rank_ic_hit_rate": float((defined > 0).mean()) if len(defined) else None,
        "rank_ic_dates": len(defined),
    }


def _autocovariances(x: np.ndarray) -> np.ndarray:
    """Autocovariances of `x` at lags 0 .. √n + K_n (Politis and White's search range)."""
    n = len(x)
    x = x - x.mean()
    max_lag = min(n - 1, int(np.ceil(np.sqrt(n))) + _run_length(n))
    return np.array([x[k:] @ x[: n - k] / n for k in range(max_lag + 1)])


def _run_length(n: int) -> int:
    return max(5, int(np.ceil(np.sqrt(np.log10(n)))))


def correlated_lags(series: np.ndarray) -> int:
    """How many lags of `series` are correlated, read from the data: 2 m̂, m̂ the first lag after
    which K_n = max(5, √log10 n) autocorrelations in a row are within 2 √(log10 n / n) of zero
    (Politis and White 2004, after Politis 2003). 0 for a series too short or constant."""
    x = np.asarray(series, dtype="float64")
    n = len(x)
    if n < 8:
        return 0
    autocovariance = _autocovariances(x)
    if autocovariance[0] <= 0:
        return 0
    run, max_lag = _run_length(n), len(autocovariance) - 1
    small = np.abs(autocovariance / autocovariance[0]) < 2 * np.sqrt(np.log10(n) / n)
    m_hat = next(
        (m for m in range(max_lag - run + 1) if small[m + 1 : m + 1 + run].all()),
        max_lag - run,
    )
    return min(2 * max(m_hat, 1), max_lag)


def t_critical(df: float, level: float = 0.95) -> float:
    """The two-sided Student-t critical value with `df` degrees of freedom (may be fractional),
    by the Cornish-Fisher expansion of Abramowitz and Stegun 26.7.5 (good to about 1e-3 from
    df = 3 on); the normal one for infinite df."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return float(z + g1 / df + g2 / df**2 + g3 / df**3)


def effective_df(n: int, lags: int) -> float:
    """Degrees of freedom of a mean whose variance sums `lags` autocovariances at full weight:
    n / (2 lags + 1), the variance of that estimate relative to an i.i.d. one (Satterthwaite).
    The t reference with these df is what holds the rank-IC t-test at 5 % at H = 20 on 600
    dates, where the normal one rejected 6.7 % (sensequant_assets_tests/teacher/
    test_inference_simulation.py)."""
    return max(n / (2 * lags + 1), 1.0)


def hac_interval(
    statistic: Statistic, units: np.ndarray, min_lags: int, level: float = 0.95
) -> tuple[float | None, float | None]:
    """A t interval for `statistic` from its influence over time: value ± t · se, the standard
    error that of the mean of the per-unit influence series (`unit_influence`, scaled by the
    number of units) with Hansen-Hodrick weights over max(`min_lags`, `correlated_lags`) lags,
    and t the Student critical value with `effective_df` (the delta method for a statistic of
    dependent data; Künsch 1989, Ann. Statist. 17(3), for the linearisation). The lags never
    stop short of `min_lags` (the label overlap, H), where labels share their price path, and
    extend as far as the data show dependence: a persistent forecast makes a Brier score
    dependent over many more sessions than its labels. A difference of two statistics is the
    statistic of their difference, so a paired interval comes from the same influence series.
    (None, None) where the statistic is undefined, or undefined once a unit is re-weighted."""
    unit_of_row, n_units = _units_of(units)
    if n_units < 2:
        return None, None
    value = _scalar(statistic, len(unit_of_row))
    if value is None:
        return None, None
    influence = unit_influence(statistic, units)
    if np.isnan(influence).any():
        return None, None
    lags = min(max(min_lags, correlated_lags(influence)), n_units - 1)
    se = hansen_hodrick_se(influence, lags)
    if se is None:
        return None, None
    half = t_critical(effective_df(n_units, lags), level) * se
    return value - half, value + half


def unit_influence(statistic: Statistic, units: np.ndarray) -> np.ndarray:
    """Each time unit's influence on the statistic, in unit order, scaled to a mean's: the
    derivative of the statistic with respect to the weight of all that unit's rows, times the
    number of units. For a plain mean it is each unit's deviation from the mean; the statistic's
    dependence over time is that of this series."""
    unit_of_row, n_units = _units_of(units)
    return np.bincount(unit_of_row, weights=statistic.gradient(), minlength=n_units) * n_units


def _units_of(units: np.ndarray) -> tuple[np.ndarray, int]:
    _, unit_of_row = np.unique(np.asarray(units), return_inverse=True)
    return unit_of_row, int(unit_of_row.max()) + 1 if len(unit_of_row) else 0


def placebo_scores(symbols: pd.Series, dates: pd.Series, seed: int) -> np.ndarray:
    """The model-free placebo: for each symbol, a seeded Gaussian AR(1) series (coefficient
    `PLACEBO_AR`) over business days since 2000-01-03, read at each row's date.

    It is independent of every price by construction, so whatever it "achieves" is what the
    evaluation produces from no information at all. It is persistent on purpose: a score that
    barely moves from one session to the next, set against overlapping labels, is what inflated
    the per-window AUCs on random walks; white noise would not show that. It depends only on
    (symbol, date, seed), so it is the same on a row whichever model or window scores it.
    """
    day = np.busday_count(_PLACEBO_EPOCH, pd.to_datetime(dates).to_numpy().astype("datetime64[D]"))
    if len(day) and day.min() < 0:
        raise ValueError("The placebo is defined for sessions from 2000-01-03 on.")
    out = np.empty(len(day))
    for symbol, positions in pd.Series(range(len(day))).groupby(symbols.to_numpy()):
        steps = int(day[positions.to_numpy()].max()) + 1
        rng = np.random.default_rng([seed, zlib.crc32(str(symbol).encode())])
        shocks = rng.standard_normal(steps) * np.sqrt(1 - PLACEBO_AR**2)
        series = np.empty(steps)
        series[0] = rng.standard_normal()
        for t in range(1, steps):
            series[t] = PLACEBO_AR * series[t - 1] + shocks[t]
        out[positions.to_numpy()] = series[day[positions.to_numpy()]]
    return out


def common_rows(first: pd.DataFrame, second: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both prediction frames cut to the (symbol, date) rows they share, so that two models
    (per-symbol and universe) are compared on the same evaluation rows."""
    keys = first[["symbol", "date"]].merge(second[["symbol", "date"]]).drop_duplicates()
    return first.merge(keys), second.merge(keys)


def window_metrics(
    predictions: pd.DataFrame, lags: int, *, level: float = 0.95
) -> dict[str, float | None]:
    """One window's detail figures on its labelled rows: AUC with its `hac_interval` over dates
    (`lags` the label overlap, H), log-loss and Brier skill against the window's training base
    rate."""
    labelled = predictions.dropna(subset=["label"])
    y = labelled["label"].to_numpy(dtype="float64")
    scores = labelled["score"].to_numpy(dtype="float64")
    auc = roc_auc(y, scores)
    low, high = (None, None)
    if auc is not None:
        low, high = hac_interval(Auc(y, scores), labelled["date"].to_numpy(), lags, level)
    return {
        "eval_roc_auc": auc,
        "eval_roc_auc_low": low,
        "eval_roc_auc_high": high,
        "eval_log_loss": log_loss(y, scores),
        "eval_brier_skill": brier_skill(y, scores, labelled["train_base_rate"].to_numpy()),
    }


class Correlation(Statistic):
    """(w · a) / sqrt((w · b)(w · c)): the correlation of two centred columns x, y given
    a = x y, b = x², c = y²."""

    def __init__(self, a: np.ndarray, b: np.ndarray, c: np.ndarray):
        self.a, self.b, self.c = a, b, c

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        return _ratio(weights @ self.a, np.sqrt((weights @ self.b) * (weights @ self.c)))

    def gradient(self) -> np.ndarray:
        total_b, total_c = self.b.sum(), self.c.sum()
        if total_b == 0 or total_c == 0:
            return np.full(len(self.a), np.nan)
        value = self.a.sum() / np.sqrt(total_b * total_c)
        return self.a / np.sqrt(total_b * total_c) - value / 2 * (
            self.b / total_b + self.c / total_c
        )


def time_series_rank_ic(symbols: np.ndarray, scores: np.ndarray, returns: np.ndarray) -> Statistic:
    """Spearman correlation of scores and forward returns within each symbol over time, pooled:
    both are ranked within their symbol (as a share of its rows, centred), and the pooled
    correlation of those ranks is taken. Every evaluation row counts, decisive or not, so
    nothing is selected by the outcome; a ranking of names against each other (the rank IC)
    it is not: it asks whether a symbol's higher scores come before its higher returns."""
    frame = pd.DataFrame({"symbol": symbols, "score": scores, "ret": returns})
    ranked = frame.groupby("symbol")[["score", "ret"]].rank(pct=True)
    ranked = ranked - ranked.groupby(frame["symbol"]).transform("mean")
    x = ranked["score"].fillna(0.0).to_numpy()
    y = ranked["ret"].fillna(0.0).to_numpy()
    return Correlation(x * y, x * x, y * y)


DIFFERENCES: tuple[str, ...] = ("majority", "momentum", "placebo")
COMPARED: tuple[str, ...] = ("roc_auc", "ts_rank_ic", "rank_ic_mean")


def difference_name(baseline: str) -> str:
    """The report's scorer name for model-minus-baseline rows."""
    return f"model - {baseline}"


def pooled_report(
    predictions: pd.DataFrame, lags: int, *, level: float = 0.95, min_names: int = 5
) -> pd.DataFrame:
    """Every headline metric of the model and its three baselines on the same evaluation rows,
    with t intervals over dates (`hac_interval`, `lags` the label overlap H); columns
    `REPORT_COLUMNS`, one row per (scorer, metric) that applies (in `SCORERS` x `METRICS`
    order), then the paired model-minus-baseline differences (scorer `difference_name`, metrics
    `COMPARED`); value NaN where undefined, n the rows (or, for rank IC, the dates) it rests on.

    Classification metrics use the labelled rows; rank IC and the time-series rank IC use every
    row with a forward return. Scorers: `model` (its probability); `majority` (the training base
    rate as the forecast: the reference of Brier skill and of accuracy over majority, so those
    read 0 for it by definition); `momentum` (ranks by the past-H return, predicts 1 where it is
    positive); `placebo` (`placebo_scores`, ranks only). Rank IC needs `min_names` symbols on a
    date, so on one symbol's rows it is undefined. `predictions` needs the columns date, symbol,
    score, label, forward_return, train_base_rate, momentum and placebo.
    """
    rows = predictions.sort_values(["date", "symbol"], ignore_index=True)
    labelled = rows.dropna(subset=["label"]).reset_index(drop=True)
    all_dates = np.sort(rows["date"].unique())
    statistics: dict[tuple[str, str], tuple[Statistic, np.ndarray, int]] = {}
    records: list[dict[str, object]] = []

    def add(scorer: str, metric: str, statistic: Statistic, units: np.ndarray, n: int) -> None:
        statistics[(scorer, metric)] = (statistic, units, n)
        value = _scalar(statistic, len(units)) if len(units) else None
        low, high = (
            hac_interval(statistic, units, lags, level) if value is not None else (None, None)
        )
        records.append(_record(scorer, metric, value, low, high, n))

    for scorer in SCORERS:
        for metric, statistic in _classification_statistics(scorer, labelled).items():
            add(scorer, metric, statistic, labelled["date"].to_numpy(), len(labelled))
        ranking = _ranking(scorer, rows)
        if scorer != "majority":
            every_row = time_series_rank_ic(
                rows["symbol"].to_numpy(), ranking, rows["forward_return"].to_numpy()
            )
            add(scorer, "ts_rank_ic", every_row, rows["date"].to_numpy(), len(rows))
        ic = rank_ic_by_date(rows["date"], pd.Series(ranking), rows["forward_return"], min_names)
        ic = ic.reindex(all_dates)
        defined = ic.notna().to_numpy(dtype="float64")
        mean_ic = Ratio(ic.fillna(0.0).to_numpy(), defined)
        summary = ic_summary(ic, lags)
        dates = int(summary["rank_ic_dates"] or 0)
        if dates:
            add(scorer, "rank_ic_mean", mean_ic, all_dates, dates)
        else:
            statistics[(scorer, "rank_ic_mean")] = (mean_ic, all_dates, 0)
            records.append(_record(scorer, "rank_ic_mean", None, None, None, 0))
        critical = summary["rank_ic_t_critical"]
        records.append(
            _record(
                scorer,
                "rank_ic_t",
                summary["rank_ic_t"],
                -critical if critical is not None else None,
                critical,
                dates,
            )
        )
        records.append(
            _record(scorer, "rank_ic_hit_rate", summary["rank_ic_hit_rate"], None, None, dates)
        )
    for baseline in DIFFERENCES:
        for metric in COMPARED:
            if (baseline, metric) not in statistics:
                continue
            model, units, n = statistics[("model", metric)]
            other = statistics[(baseline, metric)][0]
            add(difference_name(baseline), metric, Difference(model, other), units, n)
    return pd.DataFrame.from_records(records, columns=list(REPORT_COLUMNS)).astype(
        {"value": "float64", "ci_low": "float64", "ci_high": "float64", "n": "int64"}
    )


def _record(
    scorer: str, metric: str, value: object, low: object, high: object, n: int
) -> dict[str, object]:
    return {
        "scorer": scorer,
        "metric": metric,
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "n": n,
    }


def _ranking(scorer: str, rows: pd.DataFrame) -> np.ndarray:
    column = {"model": "score", "majority": "train_base_rate"}.get(scorer, scorer)
    return rows[column].to_numpy(dtype="float64")


def _classification_statistics(scorer: str, rows: pd.DataFrame) -> dict[str, Statistic]:
    """The classification statistics that apply to the scorer, on labelled rows: probability
    metrics for the model and the majority forecast only (a ranking is not a probability), and
    no accuracy for the placebo (it has no natural class boundary)."""
    y = rows["label"].to_numpy(dtype="float64")
    base = rows["train_base_rate"].to_numpy(dtype="float64")
    score = _ranking(scorer, rows)
    statistics: dict[str, Statistic] = {"roc_auc": Auc(y, score)}
    if scorer in ("model", "majority"):
        statistics |= {
            "log_loss": _weighted_mean(_log_loss_terms(y, score)),
            "brier_score": _weighted_mean((score - y) ** 2),
            "brier_skill": _brier_skill_statistic(y, score, base),
        }
    boundary = {"model": score > 0.5, "majority": base > 0.5, "momentum": score > 0}
    if scorer in boundary:
        predicted = boundary[scorer].astype("float64")
        statistics["accuracy_over_majority"] = _weighted_mean(
            _accuracy_gain_terms(y, predicted, base)
        )
    return statistics


def reliability(y_true: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """The calibration (reliability) curve: forecasts cut into `bins` equal-width bins of
    [0, 1]; per non-empty bin its mean forecast, the share of its rows that went up, and its
    rows. A calibrated forecast lies on the diagonal; an over-confident one is steeper than the
    rows support (a model that knows nothing sits flat at the base rate whatever it says)."""
    p = np.asarray(probabilities, dtype="float64")
    y = np.asarray(y_true, dtype="float64")
    which = np.clip((p * bins).astype(int), 0, bins - 1)
    frame = pd.DataFrame({"bin": which, "forecast": p, "observed": y})
    curve = frame.groupby("bin").agg(
        forecast=("forecast", "mean"), observed=("observed", "mean"), rows=("observed", "size")
    )
    return curve.reset_index()
