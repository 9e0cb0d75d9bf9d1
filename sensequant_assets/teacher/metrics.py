"""Out-of-sample metrics of the teacher, their confidence intervals, and the baselines they face.

Every figure here is computed on evaluation rows only: rows after a window's purge gap, scored by
a model that never saw them. "Undefined" (one class only, too few names on a date, a statistic
that divides by zero) is None or NaN, never 0: 0 is a real and very bad AUC.

Why pooled figures. An AUC inside one symbol's 63-row evaluation slice compares rows from dates a
few sessions apart whose labels share most of their price path, and whose features (computed
later) have already seen part of an earlier row's label: on pure random walks the mean of such
per-window AUCs read 0.578 where the pooled AUC over the same predictions was 0.498 (0.529
against 0.496 with the stationary features and next-session labels; docs/teacher.md). The headline
figures therefore pool all of a symbol's (or the universe's) evaluation rows, and carry a
block-bootstrap interval whose blocks are at least a label span long, so that overlapping labels
are resampled together rather than counted as independent evidence. Across the universe the first
figure is the per-date cross-sectional rank IC, which only ever compares names on the same date.

The bootstrap is vectorised over resamples: a resample is a matrix of how often each row is drawn,
and every statistic here is computed from such a count matrix, the point estimate being the
all-ones case, so a formula is written once for both.
"""

import zlib
from collections.abc import Callable
from functools import lru_cache

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
    "rank_ic_mean",
    "rank_ic_t",
    "rank_ic_hit_rate",
)
REPORT_COLUMNS: tuple[str, ...] = ("scorer", "metric", "value", "ci_low", "ci_high", "n")

Statistic = Callable[[np.ndarray], np.ndarray]
"""Maps a (resamples, rows) matrix of draw counts to one value per resample, NaN if undefined."""


def _scalar(statistic: Statistic, n_rows: int) -> float | None:
    value = float(statistic(np.ones((1, n_rows)))[0])
    return None if np.isnan(value) else value


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0."""
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, np.nan, numerator / safe)


def _weighted_mean(values: np.ndarray) -> Statistic:
    return lambda counts: _ratio(counts @ values, counts.sum(axis=1))


def _auc_statistic(y_true: np.ndarray, scores: np.ndarray) -> Statistic:
    """Mann-Whitney AUC, ties counted half, with each row weighted by its draw count: the share
    of (positive, negative) pairs ranked the right way round. Rows without a score are left out."""
    scores = np.asarray(scores, dtype="float64")
    scored = np.flatnonzero(~np.isnan(scores))
    order = scored[np.argsort(scores[scored], kind="stable")]
    sorted_scores = scores[order]
    positive = np.asarray(y_true, dtype="float64")[order]
    negative = 1.0 - positive
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])

    def statistic(counts: np.ndarray) -> np.ndarray:
        if not len(order):
            return np.full(len(counts), np.nan)
        drawn = counts[:, order]
        positives = np.add.reduceat(drawn * positive, starts, axis=1)
        negatives = np.add.reduceat(drawn * negative, starts, axis=1)
        below = np.cumsum(negatives, axis=1) - negatives
        wins = (positives * (below + 0.5 * negatives)).sum(axis=1)
        return _ratio(wins, positives.sum(axis=1) * negatives.sum(axis=1))

    return statistic


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
    return lambda counts: 1.0 - _ratio(counts @ model, counts @ climatology)


def _accuracy_gain_terms(
    y_true: np.ndarray, predicted: np.ndarray, base_rate: np.ndarray
) -> np.ndarray:
    majority = (np.broadcast_to(base_rate, y_true.shape) > 0.5).astype("float64")
    return (predicted == y_true).astype("float64") - (majority == y_true).astype("float64")


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); None with one class only."""
    return _scalar(_auc_statistic(np.asarray(y_true), np.asarray(scores)), len(y_true))


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
    x = np.asarray(values, dtype="float64")
    n = len(x)
    if n < 2:
        return None
    deviations = x - x.mean()
    variance = deviations @ deviations / n
    for k in range(1, min(lags, n - 1) + 1):
        variance += 2 * (1 - k / (lags + 1)) * (deviations[k:] @ deviations[:-k]) / n
    return float(np.sqrt(max(variance, 0.0) / n))


def ic_summary(ic: pd.Series, lags: int) -> dict[str, float | int | None]:
    """Mean rank IC over the dates where it is defined, its Newey-West standard error, the
    t-statistic mean / se, and the hit rate (share of dates with IC > 0)."""
    defined = ic.dropna().sort_index().to_numpy(dtype="float64")
    mean = float(defined.mean()) if len(defined) else None
    se = newey_west_se(defined, lags)
    return {
        "rank_ic_mean": mean,
        "rank_ic_se": se,
        "rank_ic_t": mean / se if mean is not None and se else None,
        "rank_ic_hit_rate": float((defined > 0).mean()) if len(defined) else None,
        "rank_ic_dates": len(defined),
    }


@lru_cache(maxsize=16)
def _unit_draws(n_units: int, block_length: int, n_resamples: int, seed: int) -> np.ndarray:
    """How often each of `n_units` time units is drawn in each resample (resamples x units):
    circular blocks of `block_length` units, as many blocks as cover `n_units`, cut to that
    length. Cached: every metric of a report resamples the same dates with the same seed, and
    so is computed on the same draws."""
    rng = np.random.default_rng(seed)
    blocks = -(-n_units // block_length)
    starts = rng.integers(0, n_units, size=(n_resamples, blocks))
    drawn = (starts[:, :, None] + np.arange(block_length)).reshape(n_resamples, -1)[:, :n_units]
    offsets = (np.arange(n_resamples) * n_units)[:, None]
    counts = np.bincount((drawn % n_units + offsets).ravel(), minlength=n_resamples * n_units)
    counts = counts.reshape(n_resamples, n_units).astype("int32")
    counts.flags.writeable = False
    return counts


def block_bootstrap_ci(
    statistic: Statistic,
    units: np.ndarray,
    block_length: int,
    *,
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float | None, float | None]:
    """Percentile interval of `statistic` under a circular block bootstrap over time.

    `units` gives each row's time unit (its date): the distinct units, in order, are cut into
    circular blocks of `block_length` consecutive units, blocks are drawn with replacement until
    as many units as the sample has, and every row of a drawn unit comes with it (the whole
    cross-section of a date stays together). Choose `block_length` at least the label span, so
    that rows sharing a price path are resampled together. Same seed, same interval. (None, None)
    where the statistic is undefined on more than a tenth of the resamples.
    """
    if block_length < 1:
        raise ValueError(f"block_length must be at least 1 (got {block_length}).")
    _, unit_of_row = np.unique(np.asarray(units), return_inverse=True)
    n_units = int(unit_of_row.max()) + 1 if len(unit_of_row) else 0
    if n_units == 0:
        return None, None
    draws = _unit_draws(n_units, block_length, n_resamples, seed)
    chunk = max(1, _CELLS_PER_CHUNK // max(len(unit_of_row), n_units))
    values = [
        statistic(draws[done : done + chunk][:, unit_of_row].astype("float64"))
        for done in range(0, n_resamples, chunk)
    ]
    results = np.concatenate(values)
    defined = results[~np.isnan(results)]
    if len(defined) < _MIN_DEFINED_SHARE * n_resamples:
        return None, None
    tail = (1 - level) / 2
    low, high = np.quantile(defined, [tail, 1 - tail])
    return float(low), float(high)


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
    predictions: pd.DataFrame,
    block_length: int,
    *,
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, float | None]:
    """One window's detail figures on its labelled rows: AUC with its block-bootstrap interval
    over dates, log-loss and Brier skill against the window's training base rate."""
    labelled = predictions.dropna(subset=["label"])
    y = labelled["label"].to_numpy(dtype="float64")
    scores = labelled["score"].to_numpy(dtype="float64")
    auc = roc_auc(y, scores)
    low, high = (None, None)
    if auc is not None:
        low, high = block_bootstrap_ci(
            _auc_statistic(y, scores),
            labelled["date"].to_numpy(),
            block_length,
            n_resamples=n_resamples,
            level=level,
            seed=seed,
        )
    return {
        "eval_roc_auc": auc,
        "eval_roc_auc_low": low,
        "eval_roc_auc_high": high,
        "eval_log_loss": log_loss(y, scores),
        "eval_brier_skill": brier_skill(y, scores, labelled["train_base_rate"].to_numpy()),
    }


def pooled_report(
    predictions: pd.DataFrame,
    block_length: int,
    *,
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    min_names: int = 5,
) -> pd.DataFrame:
    """Every headline metric of the model and its three baselines on the same evaluation rows,
    with block-bootstrap intervals over dates; columns `REPORT_COLUMNS`, one row per (scorer,
    metric) that applies (in `SCORERS` x `METRICS` order), value NaN where undefined, n the rows
    (or, for rank IC, the dates) it rests on.

    Classification metrics use the labelled rows; rank IC uses every row with a forward return.
    Scorers: `model` (its probability); `majority` (the training base rate as the forecast: the
    reference of Brier skill and of accuracy over majority, so those read 0 for it by
    definition); `momentum` (ranks by the past-H return, predicts 1 where it is positive);
    `placebo` (`placebo_scores`, ranks only). Rank IC needs `min_names` symbols on a date, so on
    one symbol's rows it is undefined. `predictions` needs the columns date, symbol, score,
    label, forward_return, train_base_rate, momentum and placebo.
    """
    rows = predictions.sort_values(["date", "symbol"], ignore_index=True)
    labelled = rows.dropna(subset=["label"]).reset_index(drop=True)

    def interval(statistic: Statistic, frame: pd.DataFrame) -> tuple[float | None, float | None]:
        return block_bootstrap_ci(
            statistic,
            frame["date"].to_numpy(),
            block_length,
            n_resamples=n_resamples,
            level=level,
            seed=seed,
        )

    records: list[dict[str, object]] = []
    for scorer in SCORERS:
        for metric, statistic in _classification_statistics(scorer, labelled).items():
            value = _scalar(statistic, len(labelled)) if len(labelled) else None
            low, high = interval(statistic, labelled) if value is not None else (None, None)
            records.append(_record(scorer, metric, value, low, high, len(labelled)))
        records.extend(_rank_ic_records(scorer, rows, block_length, interval, min_names))
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
    statistics: dict[str, Statistic] = {"roc_auc": _auc_statistic(y, score)}
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


def _rank_ic_records(
    scorer: str,
    rows: pd.DataFrame,
    lags: int,
    interval: Callable[[Statistic, pd.DataFrame], tuple[float | None, float | None]],
    min_names: int,
) -> list[dict[str, object]]:
    """Mean rank IC (with a bootstrap interval over dates), its Newey-West t and its hit rate."""
    scores = pd.Series(_ranking(scorer, rows))
    ic = rank_ic_by_date(rows["date"], scores, rows["forward_return"], min_names)
    summary = ic_summary(ic, lags)
    low, high = None, None
    if summary["rank_ic_mean"] is not None:
        # Every row of a date carries 1/(its names) of that date's IC (0 where undefined), so the
        # mean over drawn dates weights each defined date once, however many names it has.
        per_date = ic.reindex(rows["date"]).to_numpy()
        names = rows.groupby("date")["date"].transform("size").to_numpy()
        defined = ~np.isnan(per_date)
        weights = np.where(defined, 1.0 / names, 0.0)
        values = np.where(defined, per_date, 0.0) * weights
        low, high = interval(lambda counts: _ratio(counts @ values, counts @ weights), rows)
    dates = int(summary["rank_ic_dates"] or 0)
    return [
        _record(scorer, "rank_ic_mean", summary["rank_ic_mean"], low, high, dates),
        _record(scorer, "rank_ic_t", summary["rank_ic_t"], None, None, dates),
        _record(scorer, "rank_ic_hit_rate", summary["rank_ic_hit_rate"], None, None, dates),
    ]
