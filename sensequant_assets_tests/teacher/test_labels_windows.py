"""Label and window boundaries, and the no-leakage property of the walk-forward split."""

import itertools

import pandas as pd
import pytest

from sensequant_assets.teacher.features import FEATURE_NAMES
from sensequant_assets.teacher.labels import (
    LabelSpec,
    binary_labels,
    forward_returns,
    label_table,
)
from sensequant_assets.teacher.windows import Window, WindowSpec, plan_windows


def test_forward_return_and_label_over_h_sessions() -> None:
    close = pd.Series([100.0, 120.0, 150.0, 101.0, 90.0])
    returns = forward_returns(close, 2)
    assert returns.iloc[:3].tolist() == pytest.approx([0.5, 101 / 120 - 1, 90 / 150 - 1])
    assert returns.iloc[3:].isna().all()  # no session two ahead
    labels = binary_labels(returns, 0.5)
    # 0.5 exactly is not above the threshold; the last two rows have no label
    assert labels.tolist()[:3] == [0, 0, 0]
    assert labels.iloc[3:].isna().all()
    assert binary_labels(returns, 0.02).tolist()[:3] == [1, 0, 0]


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
    ("n_rows", "first_row", "size", "step", "purge"),
    list(itertools.product([50, 333], [0, 7], [10, 63], [1, 5, 21], [1, 5, 10])),
)
def test_no_training_label_reaches_its_evaluation_slice(
    n_rows: int, first_row: int, size: int, step: int, purge: int
) -> None:
    for window in plan_windows(n_rows, first_row, WindowSpec(size, step), purge):
        last_label_session = window.train_stop - 1 + purge  # the last training row looks H ahead
        if window.eval_stop > window.eval_start:
            assert last_label_session < window.eval_start
        assert window.train_stop - window.train_start == size
        assert window.eval_stop - window.eval_start <= step


def test_label_table_windows_have_the_default_shape(walk: pd.DataFrame) -> None:
    """738 sessions of 2022-2024: 49 warm-up rows, then 7 windows of 252 + 63 (the last cut)."""
    table = label_table("WALK", walk, LabelSpec(), WindowSpec())
    sizes = table.groupby(["window_index", "split"]).size().unstack()
    assert sizes["train"].tolist() == [252] * 7
    assert sizes["eval"].tolist() == [63] * 6 + [54]
    dates = walk["date"].reset_index(drop=True)
    window0 = table[table["window_index"] == 0]
    assert window0[window0["split"] == "train"]["date"].min() == dates[49]
    # the training start advances by 63 sessions
    starts = table[table["split"] == "train"].groupby("window_index")["date"].min()
    assert starts.tolist() == [dates[49 + 63 * k] for k in range(7)]
    # only the last H sessions are unlabelled
    unlabelled = table[table["label"].isna()]["date"].unique()
    assert list(unlabelled) == list(dates[-5:])


def test_stored_rows_never_let_a_training_label_into_the_evaluation_slice(
    walk: pd.DataFrame,
) -> None:
    horizon = 5
    table = label_table("WALK", walk, LabelSpec(horizon=horizon), WindowSpec())
    position = {date: i for i, date in enumerate(walk["date"])}
    for _, rows in table.groupby("window_index"):
        train = rows[rows["split"] == "train"]
        evaluation = rows[rows["split"] == "eval"]
        label_ends = train["date"].map(position) + horizon
        assert label_ends.max() < evaluation["date"].map(position).min()


def test_a_session_has_the_same_features_in_every_window(walk: pd.DataFrame) -> None:
    table = label_table("WALK", walk, LabelSpec(), WindowSpec())
    distinct = table.groupby("date")[list(FEATURE_NAMES)].nunique()
    assert (distinct <= 1).all().all()
    assert table.groupby("date")["window_index"].nunique().max() > 1  # windows do overlap


def test_labels_are_identical_on_every_run(walk: pd.DataFrame) -> None:
    spec = (LabelSpec(), WindowSpec())
    pd.testing.assert_frame_equal(label_table("W", walk, *spec), label_table("W", walk, *spec))


def test_settings_that_make_no_sense_are_refused() -> None:
    with pytest.raises(ValueError, match="horizon must be at least one session"):
        LabelSpec(horizon=0)
    with pytest.raises(ValueError, match="size and step must be at least one session"):
        WindowSpec(size=252, step=0)
