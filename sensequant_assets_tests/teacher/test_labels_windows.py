"""Label formulas and boundaries, sample weights, settings provenance, and the no-leakage property
of the walk-forward split."""

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest

from sensequant_assets.teacher.features import FEATURE_COLUMNS, FEATURE_SETS
from sensequant_assets.teacher.labels import (
    LABEL_COLUMNS,
    LabelSpec,
    average_uniqueness,
    binary_labels,
    entry_prices,
    forward_returns,
    label_settings,
    label_table,
    label_thresholds,
    past_returns,
    settings_mismatch,
    stored_settings,
)
from sensequant_assets.teacher.windows import Window, WindowSpec, plan_windows

OPEN = pd.Series([99.0, 101.0, 118.0, 152.0, 100.0, 91.0])
CLOSE = pd.Series([100.0, 120.0, 150.0, 101.0, 90.0, 95.0])


def test_the_trade_enters_at_the_next_open_and_exits_h_sessions_later() -> None:
    # decision at t, entry open[t+1], exit close[t+1+H]; H = 2
    returns = forward_returns(OPEN, CLOSE, 2)
    assert returns.iloc[:3].tolist() == pytest.approx([101 / 101 - 1, 90 / 118 - 1, 95 / 152 - 1])
    assert returns.iloc[3:].isna().all()  # no session t+3 for the last three rows


def test_entry_is_the_open_where_every_bar_has_one_otherwise_the_close() -> None:
    bars = pd.DataFrame({"open": OPEN, "close": CLOSE})
    prices, kind = entry_prices(bars)
    assert kind == "open" and prices.tolist() == OPEN.tolist()
    assert entry_prices(bars.drop(columns="open"))[1] == "close"
    gap = bars.assign(open=OPEN.where(OPEN.index != 3))
    prices, kind = entry_prices(gap)
    assert kind == "close" and prices.tolist() == CLOSE.tolist()


def test_past_return_over_h_sessions() -> None:
    assert past_returns(CLOSE, 2).tolist()[2:] == pytest.approx(
        [0.5, 101 / 120 - 1, -0.4, -6 / 101]
    )


def test_thresholds_fixed_or_scaled_by_trailing_volatility() -> None:
    fixed = label_thresholds(CLOSE, LabelSpec(horizon=2, threshold_kind="fixed", threshold=0.03))
    assert fixed.tolist() == [0.03] * 6
    scaled = label_thresholds(CLOSE, LabelSpec(horizon=4, k=0.5, vol_window=2))
    # σ_t over the last two log returns a, b is |a - b| / sqrt(2); θ = 0.5 σ sqrt(4) = σ
    a, b = math.log(1.2), math.log(1.25)
    assert scaled.iloc[2] == pytest.approx(abs(a - b) / math.sqrt(2))
    assert scaled.iloc[:2].isna().all()


def test_labels_are_two_sided_with_no_label_between() -> None:
    returns = pd.Series([0.05, -0.05, 0.01, -0.01, 0.02, math.nan])
    labels = binary_labels(returns, 0.02)
    # up beyond θ, down beyond -θ, neither inside (0.02 itself is not beyond), unknown at the end
    assert labels.iloc[:2].tolist() == [1, 0]
    assert labels.iloc[2:].isna().all()
    per_row = binary_labels(returns, pd.Series([0.1, 0.01, 0.0, math.nan, 0.0, 0.0]))
    assert per_row.iloc[[1, 2, 4]].tolist() == [0, 1, 1]
    assert per_row.iloc[[0, 3, 5]].isna().all()


def test_average_uniqueness_by_hand() -> None:
    # spans [0,2], [1,3], [4,4]: concurrency 1 2 2 1 1
    u = average_uniqueness(np.array([0, 1, 4]), np.array([2, 3, 4]), 5)
    np.testing.assert_allclose(u, [(1 + 1 / 2 + 1 / 2) / 3, (1 / 2 + 1 / 2 + 1) / 3, 1.0])
    # spans [0,2], [1,2], [2,2]: concurrency 1 2 3
    u = average_uniqueness(np.array([0, 1, 2]), np.array([2, 2, 2]), 3)
    np.testing.assert_allclose(u, [(1 + 1 / 2 + 1 / 3) / 3, (1 / 2 + 1 / 3) / 2, 1 / 3])


def test_windows_advance_by_step_with_a_purge_gap_and_a_clipped_last_slice() -> None:
    windows = plan_windows(20, first_row=2, spec=WindowSpec(size=5, step=3), purge=2)
    assert windows == [
        Window(0, 2, 7, 9, 12),
        Window(1, 5, 10, 12, 15),
        Window(2, 8, 13, 15, 18),
        Window(3, 11, 16, 18, 20),  # evaluation cut by the end of the history
        Window(4, 14, 19, 20, 20),  # nothing left to evaluate on
    ]


def test_no_window_without_a_full_training_span() -> None:
    assert plan_windows(6, first_row=2, spec=WindowSpec(size=5, step=3), purge=2) == []


@pytest.mark.parametrize(
    ("n_rows", "first_row", "size", "step", "horizon"),
    list(itertools.product([50, 333], [0, 7], [10, 63], [1, 5, 21], [1, 5, 10])),
)
def test_no_training_label_reaches_its_evaluation_slice(
    n_rows: int, first_row: int, size: int, step: int, horizon: int
) -> None:
    purge = LabelSpec(horizon=horizon).purge
    assert purge == horizon + 1
    for window in plan_windows(n_rows, first_row, WindowSpec(size, step), purge):
        # the last training row decides at train_stop - 1 and exits at train_stop + H
        last_label_session = window.train_stop - 1 + 1 + horizon
        if window.eval_stop > window.eval_start:
            assert last_label_session < window.eval_start
        assert window.train_stop - window.train_start == size
        assert window.eval_stop - window.eval_start <= step


def test_label_table_windows_have_the_default_shape(walk: pd.DataFrame) -> None:
    """738 sessions of 2022-2024: 49 warm-up rows, then 7 windows of 252 + 63 (the last cut)."""
    table = label_table("WALK", walk, LabelSpec(), WindowSpec())
    assert tuple(table.columns) == LABEL_COLUMNS
    sizes = table.groupby(["window_index", "split"]).size().unstack()
    assert sizes["train"].tolist() == [252] * 7
    # purge H + 1 = 6: the last slice starts at 49 + 6 * 63 + 252 + 6 = 685 of 738
    assert sizes["eval"].tolist() == [63] * 6 + [53]
    dates = walk["date"].reset_index(drop=True)
    window0 = table[table["window_index"] == 0]
    assert window0[window0["split"] == "train"]["date"].min() == dates[49]
    starts = table[table["split"] == "train"].groupby("window_index")["date"].min()
    assert starts.tolist() == [dates[49 + 63 * k] for k in range(7)]
    # only the last H + 1 sessions have no forward return (and no exit date)
    unknown = table[table["forward_return"].isna()]["date"].unique()
    assert list(unknown) == list(dates[-6:])
    assert table["exit_date"].isna().equals(table["forward_return"].isna())
    # rows without a decisive move have a return but no label, and no weight
    neutral = table["label"].isna() & table["forward_return"].notna()
    assert 0.25 < neutral.mean() < 0.5
    assert table["weight"].isna().equals(table["label"].isna())
    assert set(table["entry_at"]) == {"open"}


def test_label_rows_follow_their_formulas(walk: pd.DataFrame) -> None:
    spec = LabelSpec(horizon=3, k=0.7, vol_window=10)
    table = label_table("WALK", walk, spec, WindowSpec(100, 50)).drop_duplicates("date")
    position = {date: i for i, date in enumerate(walk["date"])}
    for row in table.dropna(subset=["label"]).sample(25, random_state=1).itertuples():
        t = position[row.date]
        entry, exit_ = walk["open"].iloc[t + 1], walk["close"].iloc[t + 4]
        daily = np.diff(np.log(walk["close"].to_numpy()[t - 10 : t + 1]))
        theta = 0.7 * daily.std(ddof=1) * math.sqrt(3)
        assert row.exit_date == walk["date"].iloc[t + 4]
        assert row.forward_return == pytest.approx(exit_ / entry - 1, rel=1e-12)
        assert row.threshold == pytest.approx(theta, rel=1e-9)
        assert row.label == (1 if row.forward_return > theta else 0)
        assert abs(row.forward_return) > theta
        assert row.past_return == pytest.approx(
            walk["close"].iloc[t] / walk["close"].iloc[t - 3] - 1
        )


def test_weights_are_average_uniqueness_over_each_splits_labels(walk: pd.DataFrame) -> None:
    table = label_table("WALK", walk, LabelSpec(), WindowSpec())
    labelled = table.dropna(subset=["label"])
    assert ((labelled["weight"] > 0) & (labelled["weight"] <= 1)).all()
    assert table.loc[table["label"].isna(), "weight"].isna().all()
    # within a window's split, each session that one of its labels spans hands out a total
    # uniqueness of 1 across those labels
    position = {date: i for i, date in enumerate(walk["date"])}
    for _, rows in labelled.groupby(["window_index", "split"]):
        starts = rows["date"].map(position).to_numpy() + 1
        covered = {s for start in starts for s in range(start, start + 6)}
        assert (rows["weight"] * 6).sum() == pytest.approx(len(covered))


def test_no_training_weight_depends_on_the_evaluation_slice(walk: pd.DataFrame) -> None:
    """Prices inside window 0's evaluation slice decide which purge-gap labels are decisive;
    over the whole history that changed window 0's last training weights."""
    spec = (LabelSpec(), WindowSpec())
    before = label_table("WALK", walk, *spec)
    window0 = before[before["window_index"] == 0]
    evaluation = window0.loc[window0["split"] == "eval", "date"]
    moved = walk.copy()
    inside = moved["date"].isin(evaluation)
    moved.loc[inside, ["open", "high", "low", "close"]] *= np.linspace(0.7, 1.3, inside.sum())[
        :, None
    ]
    after = label_table("WALK", moved, *spec)
    train = lambda t: t[(t["window_index"] == 0) & (t["split"] == "train")]  # noqa: E731
    assert not before["label"].equals(after["label"])  # the move did change labels
    np.testing.assert_array_equal(train(before)["weight"], train(after)["weight"])


def test_stored_rows_never_let_a_training_label_into_the_evaluation_slice(
    walk: pd.DataFrame,
) -> None:
    table = label_table("WALK", walk, LabelSpec(horizon=5), WindowSpec())
    for _, rows in table.groupby("window_index"):
        train = rows[rows["split"] == "train"]
        evaluation = rows[rows["split"] == "eval"]
        assert train["exit_date"].max() < evaluation["date"].min()


def test_a_session_has_the_same_values_in_every_window(walk: pd.DataFrame) -> None:
    table = label_table("WALK", walk, LabelSpec(), WindowSpec())
    # weights are per window and split (test_weights_are_average_uniqueness_over_each_splits_labels)
    per_session = [*FEATURE_SETS["stationary_v1"].columns, "forward_return", "label"]
    distinct = table.groupby("date")[per_session].nunique()
    assert (distinct <= 1).all().all()
    assert table.groupby("date")["window_index"].nunique().max() > 1  # windows do overlap


def test_labels_are_identical_on_every_run(walk: pd.DataFrame) -> None:
    spec = (LabelSpec(), WindowSpec())
    pd.testing.assert_frame_equal(label_table("W", walk, *spec), label_table("W", walk, *spec))


@pytest.mark.parametrize("cut", [100, 400])
def test_perturbing_later_bars_leaves_what_is_known_at_t_bit_identical(
    walk: pd.DataFrame, cut: int
) -> None:
    """Features, threshold and past return at t depend on bars up to t only."""
    rng = np.random.default_rng(cut)
    later = walk.index > cut
    changed = walk.copy()
    for column in ("open", "high", "low", "close"):
        changed.loc[later, column] *= rng.uniform(0.5, 1.5, later.sum())
    known = [*FEATURE_SETS["stationary_v1"].columns, "past_return", "threshold"]
    spec = (LabelSpec(), WindowSpec(100, 50))
    before = label_table("W", walk, *spec).drop_duplicates("date").set_index("date")
    after = label_table("W", changed, *spec).drop_duplicates("date").set_index("date")
    upto = walk["date"].iloc[cut]
    pd.testing.assert_frame_equal(
        before.loc[:upto, known], after.loc[:upto, known], check_exact=True
    )


def test_the_other_feature_set_fills_its_own_columns(walk: pd.DataFrame) -> None:
    table = label_table("WALK", walk, LabelSpec(), WindowSpec(), "original15")
    own = list(FEATURE_SETS["original15"].columns)
    others = [c for c in FEATURE_COLUMNS if c not in own]
    assert table[own].notna().all().all()
    assert table[others].isna().all().all()
    assert stored_settings(table)["feature_set"] == "original15"


def test_every_row_carries_the_settings_that_built_it(walk: pd.DataFrame) -> None:
    spec, windows = LabelSpec(horizon=3), WindowSpec(200, 40)
    table = label_table("WALK", walk, spec, windows)
    assert table["settings"].nunique() == 1
    assert stored_settings(table) == label_settings(spec, windows)
    assert json.loads(table["settings"].iloc[0]) == {
        "label_definition": "next_session_entry_v1",
        "horizon": 3,
        "threshold_kind": "volatility",
        "k": 0.5,
        "vol_window": 20,
        "window_size": 200,
        "window_step": 40,
        "purge": 4,
        "feature_set": "stationary_v1",
        "feature_set_version": "1",
    }
    mixed = pd.concat([table, label_table("WALK", walk, LabelSpec(horizon=4), windows)])
    with pytest.raises(ValueError, match="one set of settings, found 2"):
        stored_settings(mixed)


def test_only_the_settings_in_use_are_provenance() -> None:
    """Under volatility scaling the fixed threshold is unused: changing it changes no label."""
    assert LabelSpec(threshold=0.05).provenance() == LabelSpec().provenance()
    fixed = LabelSpec(threshold_kind="fixed", threshold=0.03).provenance()
    assert fixed["threshold"] == 0.03 and "k" not in fixed


def test_a_settings_mismatch_names_each_difference_with_both_values() -> None:
    built = label_settings(LabelSpec(horizon=5), WindowSpec())
    assert settings_mismatch(built, dict(built)) is None
    message = settings_mismatch(built, label_settings(LabelSpec(horizon=10), WindowSpec()))
    assert message == "horizon: built with 5, now 10; purge: built with 6, now 11"


def test_settings_that_make_no_sense_are_refused() -> None:
    with pytest.raises(ValueError, match="horizon must be at least one session"):
        LabelSpec(horizon=0)
    with pytest.raises(ValueError, match="size and step must be at least one session"):
        WindowSpec(size=252, step=0)
    with pytest.raises(ValueError, match="cannot be negative"):
        LabelSpec(threshold_kind="fixed", threshold=-0.01)
    with pytest.raises(ValueError, match="needs k >= 0 and vol_window >= 2"):
        LabelSpec(vol_window=1)
    with pytest.raises(ValueError, match="threshold_kind must be"):
        LabelSpec(threshold_kind="percentile")  # type: ignore[arg-type]
