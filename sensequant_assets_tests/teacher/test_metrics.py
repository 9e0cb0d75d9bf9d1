"""Every metric against a value worked out by hand, and the bootstrap's promises: seeded, blocks
kept together, wider intervals where observations are dependent."""

import math

import numpy as np
import pandas as pd
import pytest

from sensequant_assets.teacher.metrics import (
    COMPARED,
    DIFFERENCES,
    METRICS,
    PLACEBO_AR,
    REPORT_COLUMNS,
    SCORERS,
    Auc,
    Correlation,
    Difference,
    Ratio,
    accuracy_over_majority,
    brier_score,
    brier_skill,
    common_rows,
    difference_name,
    hac_interval,
    ic_summary,
    log_loss,
    newey_west_se,
    placebo_scores,
    pooled_report,
    rank_ic_by_date,
    reliability,
    roc_auc,
    window_metrics,
)


def test_roc_auc_counts_ties_half_and_is_undefined_with_one_class() -> None:
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert roc_auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5
    assert roc_auc(np.array([1, 1, 1]), np.array([0.1, 0.2, 0.3])) is None
    # rows without a score are left out, not ranked
    assert roc_auc(np.array([0, 1, 1]), np.array([0.2, 0.9, math.nan])) == 1.0


def test_log_loss_and_brier_by_hand() -> None:
    y, p = np.array([1, 0]), np.array([0.8, 0.4])
    assert log_loss(y, p) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)
    assert brier_score(y, p) == pytest.approx((0.2**2 + 0.4**2) / 2)
    assert log_loss(np.array([]), np.array([])) is None


def test_brier_skill_is_against_the_training_base_rate() -> None:
    y, p = np.array([1, 0]), np.array([0.8, 0.4])
    # reference 0.5 on both rows: Brier 0.25; skill 1 - 0.1 / 0.25
    assert brier_skill(y, p, 0.5) == pytest.approx(0.6)
    # a per-row reference (each row's window has its own base rate): (0.09 + 0.16) / 2
    assert brier_skill(y, p, np.array([0.7, 0.4])) == pytest.approx(1 - 0.1 / 0.125)
    # forecasting the base rate itself is skill 0; a reference that is never wrong: undefined
    assert brier_skill(y, np.array([0.3, 0.3]), 0.3) == pytest.approx(0.0)
    assert brier_skill(np.array([1, 1]), np.array([0.9, 0.9]), 1.0) is None


def test_accuracy_over_majority_by_hand() -> None:
    y = np.array([1, 1, 0, 0, 0])
    # majority of training was 0 (rate 0.4): it scores 3/5; the predictions score 4/5
    assert accuracy_over_majority(y, np.array([1, 0, 0, 0, 0]), 0.4) == pytest.approx(0.2)
    assert accuracy_over_majority(y, np.array([1, 1, 1, 1, 1]), 0.6) == pytest.approx(0.0)


def test_rank_ic_is_the_spearman_correlation_on_each_date() -> None:
    frame = pd.DataFrame(
        {
            "date": ["d1"] * 5 + ["d2"] * 4 + ["d3"] * 5,
            "score": [*[1, 2, 3, 4, 5], *[1, 2, 3, 4], *[7, 7, 7, 7, 7]],
            "ret": [*[0.1, 0.2, 0.3, 0.5, 0.4], *[0.1, 0.2, 0.3, 0.4], *[0.1, 0.2, 0.3, 0.4, 0.5]],
        }
    )
    ic = rank_ic_by_date(frame["date"], frame["score"], frame["ret"], min_names=5)
    # d1: rank differences 0 0 0 1 -1, so 1 - 6 * 2 / (5 * 24) = 0.9
    assert ic["d1"] == pytest.approx(0.9)
    assert math.isnan(ic["d2"])  # four names, fewer than five
    assert math.isnan(ic["d3"])  # every score the same: no ranking to correlate


def test_newey_west_standard_error_by_hand() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    # deviations -1.5 -0.5 0.5 1.5: γ0 = 1.25, γ1 = 0.3125; lag 1 weight 1/2
    assert newey_west_se(x, 0) == pytest.approx(math.sqrt(1.25 / 4))
    assert newey_west_se(x, 1) == pytest.approx(math.sqrt((1.25 + 0.3125) / 4))
    assert newey_west_se(np.array([1.0]), 3) is None


def test_ic_summary_by_hand() -> None:
    ic = pd.Series([0.1, -0.2, math.nan, 0.3, 0.2])
    summary = ic_summary(ic, lags=0)
    assert summary["rank_ic_mean"] == pytest.approx(0.1)
    assert summary["rank_ic_hit_rate"] == 0.75
    assert summary["rank_ic_dates"] == 4
    se = math.sqrt(np.var([0.1, -0.2, 0.3, 0.2], ddof=1) / 4)  # the textbook standard error
    assert summary["rank_ic_se"] == pytest.approx(se)
    assert summary["rank_ic_t"] == pytest.approx(0.1 / se)
    empty = ic_summary(pd.Series([math.nan]), lags=5)
    assert empty["rank_ic_mean"] is None and empty["rank_ic_t"] is None


def mean_of(values: np.ndarray) -> Ratio:
    """The weighted mean of `values`, as a statistic."""
    return Ratio(values, np.ones(len(values)))


def test_the_interval_of_an_iid_mean_has_the_textbook_width() -> None:
    values = np.random.default_rng(1).standard_normal(2000)
    low, high = hac_interval(mean_of(values), np.arange(2000), 0)
    assert low < values.mean() < high
    assert high - low == pytest.approx(2 * 1.96 / math.sqrt(2000), rel=0.1)


def test_lags_widen_the_interval_of_a_dependent_series() -> None:
    """An AR(1) series with coefficient 0.9 carries about 1/19 of the information of as many
    independent draws; an i.i.d. interval would be about sqrt(19) too narrow. The lags are
    read from the data even where the minimum asked for is 0."""
    rng = np.random.default_rng(2)
    values = np.empty(3000)
    values[0] = rng.standard_normal()
    for t in range(1, 3000):
        values[t] = 0.9 * values[t - 1] + rng.standard_normal() * math.sqrt(1 - 0.81)
    units = np.arange(3000)
    low, high = hac_interval(mean_of(values), units, 0)
    textbook = 2 * 1.96 * values.std() / math.sqrt(3000)
    assert (high - low) / textbook == pytest.approx(math.sqrt(19), rel=0.3)


def test_all_rows_of_a_date_move_together() -> None:
    """Four identical rows per date carry one date's information, not four."""
    values = np.random.default_rng(3).standard_normal(500)
    one = hac_interval(mean_of(values), np.arange(500), 0)
    four = hac_interval(mean_of(np.repeat(values, 4)), np.repeat(np.arange(500), 4), 0)
    assert four == pytest.approx(one)


def test_gradients_are_the_derivatives_of_the_statistics() -> None:
    rng = np.random.default_rng(4)
    y = (rng.random(40) < 0.5).astype(float)
    scores = np.round(rng.random(40), 1)  # ties
    x = rng.standard_normal(40)
    for statistic in (
        Auc(y, scores),
        Ratio(x, np.abs(x) + 1, skill=True),
        Correlation(x * y, x * x, y * y + 0.1),
        Difference(Auc(y, scores), Auc(y, x)),
    ):
        step = 1e-6
        bumped = np.ones((40, 40)) + step * np.eye(40)
        numeric = (statistic(bumped) - statistic(np.ones((1, 40)))[0]) / step
        np.testing.assert_allclose(statistic.gradient(), numeric, atol=1e-5)


def test_no_interval_where_the_statistic_is_undefined() -> None:
    one_class = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=50),
            "score": np.linspace(0, 1, 50),
            "label": pd.array(np.ones(50, dtype=int), dtype="Int8"),
            "train_base_rate": 0.5,
        }
    )
    metrics = window_metrics(one_class, 5)
    assert metrics["eval_roc_auc"] is None and metrics["eval_roc_auc_low"] is None


def test_window_metrics_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=4),
            "score": [0.1, 0.4, 0.35, 0.8],
            "label": pd.array([0, 0, 1, 1], dtype="Int8"),
            "train_base_rate": 0.5,
        }
    )
    neutral = frame.iloc[:1].assign(label=pd.array([pd.NA], dtype="Int8"), score=0.99)
    metrics = window_metrics(pd.concat([frame, neutral]), 2)
    assert metrics["eval_roc_auc"] == 0.75  # the unlabelled row is not scored
    assert metrics["eval_log_loss"] == pytest.approx(
        log_loss(np.array([0, 0, 1, 1]), frame["score"])
    )
    assert metrics["eval_brier_skill"] == pytest.approx(
        brier_skill(np.array([0, 0, 1, 1]), frame["score"].to_numpy(), 0.5)
    )


def test_the_placebo_is_persistent_seeded_and_blind_to_prices() -> None:
    dates = pd.Series(pd.bdate_range("2022-01-03", periods=2000))
    a = placebo_scores(pd.Series(["A"] * 2000), dates, seed=1)
    np.testing.assert_array_equal(a, placebo_scores(pd.Series(["A"] * 2000), dates, seed=1))
    assert not np.array_equal(a, placebo_scores(pd.Series(["B"] * 2000), dates, seed=1))
    assert not np.array_equal(a, placebo_scores(pd.Series(["A"] * 2000), dates, seed=2))
    assert np.corrcoef(a[1:], a[:-1])[0, 1] == pytest.approx(PLACEBO_AR, abs=0.03)
    # a row's placebo depends on its symbol and date only, not on which other rows are scored
    some = dates.iloc[[5, 700, 1999]].reset_index(drop=True)
    np.testing.assert_array_equal(
        placebo_scores(pd.Series(["A"] * 3), some, seed=1), a[[5, 700, 1999]]
    )
    with pytest.raises(ValueError, match="from 2000-01-03 on"):
        placebo_scores(pd.Series(["A"]), pd.Series([pd.Timestamp("1999-12-31")]), seed=1)


def predictions(n_dates: int, symbols: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "date": np.repeat(pd.bdate_range("2023-01-02", periods=n_dates), symbols),
            "symbol": np.tile([f"S{i}" for i in range(symbols)], n_dates),
        }
    )
    frame["forward_return"] = rng.normal(0, 0.03, len(frame))
    frame["label"] = pd.array((frame["forward_return"] > 0).astype(int), dtype="Int8")
    frame["score"] = rng.uniform(0.2, 0.8, len(frame))
    frame["train_base_rate"] = 0.45
    frame["momentum"] = rng.normal(0, 0.03, len(frame))
    frame["placebo"] = placebo_scores(frame["symbol"], frame["date"], seed)
    return frame


def test_the_pooled_report_lists_every_scorer_and_metric() -> None:
    report = pooled_report(predictions(60, 8, 0), 6)
    assert tuple(report.columns) == REPORT_COLUMNS
    probabilities = ("log_loss", "brier_score", "brier_skill")
    not_applicable = {
        *(("momentum", metric) for metric in probabilities),
        *(("placebo", metric) for metric in (*probabilities, "accuracy_over_majority")),
        ("majority", "ts_rank_ic"),  # one base rate per window: no ranking over time
    }
    differences = [
        (difference_name(baseline), metric)
        for baseline in DIFFERENCES
        for metric in COMPARED
        if (baseline, metric) not in not_applicable
    ]
    assert (
        list(zip(report["scorer"], report["metric"], strict=True))
        == [
            (scorer, metric)
            for scorer in SCORERS
            for metric in METRICS
            if (scorer, metric) not in not_applicable
        ]
        + differences
    )
    cell = report.set_index(["scorer", "metric"])
    # the majority forecast is the reference: 0 by definition, with a zero-width interval
    assert cell.loc[("majority", "brier_skill"), "value"] == 0.0
    assert cell.loc[("majority", "accuracy_over_majority"), "ci_high"] == 0.0
    assert cell.loc[("model", "roc_auc"), "n"] == 480
    assert cell.loc[("model", "rank_ic_mean"), "n"] == 60
    low, high = cell.loc[("model", "roc_auc"), ["ci_low", "ci_high"]]
    assert low < cell.loc[("model", "roc_auc"), "value"] < high


def test_a_perfect_score_and_a_single_symbol() -> None:
    frame = predictions(40, 1, 1)
    frame["score"] = frame["forward_return"].rank(pct=True)
    cell = pooled_report(frame, 6).set_index(["scorer", "metric"])
    assert cell.loc[("model", "roc_auc"), "value"] == 1.0
    # one symbol has no cross-section: rank IC is undefined, not 0
    assert math.isnan(cell.loc[("model", "rank_ic_mean"), "value"])
    assert cell.loc[("model", "rank_ic_mean"), "n"] == 0


def test_two_models_are_compared_on_the_rows_they_share() -> None:
    first, second = predictions(10, 3, 2), predictions(10, 3, 3)
    second = second[second["symbol"] != "S2"]
    a, b = common_rows(first, second.iloc[5:])
    assert len(a) == len(b) == 15
    assert a[["symbol", "date"]].equals(b[["symbol", "date"]])


def test_the_reliability_curve_by_hand() -> None:
    y = np.array([0, 1, 1, 1, 0, 0])
    p = np.array([0.05, 0.08, 0.55, 0.52, 0.58, 1.0])
    curve = reliability(y, p)
    assert curve["bin"].tolist() == [0, 5, 9]  # empty bins are left out; 1.0 falls in the last
    assert curve["forecast"].tolist() == pytest.approx([0.065, 0.55, 1.0])
    assert curve["observed"].tolist() == pytest.approx([0.5, 2 / 3, 0.0])
    assert curve["rows"].tolist() == [2, 3, 1]
