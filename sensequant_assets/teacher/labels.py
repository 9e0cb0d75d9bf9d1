"""Teacher labels: did the close rise by more than a threshold over the next H sessions?

The label is binary, as in the original (which looked 7 bars ahead while its docs said 5). A row
without H later sessions has no label; it is kept, unlabelled, so the table shows where the
history ends rather than silently dropping it.
"""

from dataclasses import dataclass

import duckdb
import pandas as pd

from sensequant_assets.teacher.features import FEATURE_NAMES, compute_features, first_complete_row
from sensequant_assets.teacher.windows import WindowSpec, plan_windows

LABEL_COLUMNS: tuple[str, ...] = (
    "symbol",
    "window_index",
    "split",
    "date",
    *FEATURE_NAMES,
    "forward_return",
    "label",
)


@dataclass(frozen=True)
class LabelSpec:
    """Horizon in sessions and the return a label must exceed."""

    horizon: int = 5
    threshold: float = 0.02

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise ValueError(
                f"The label horizon must be at least one session (got {self.horizon}); "
                "fix the teacher settings."
            )


def forward_returns(close: pd.Series, horizon: int) -> pd.Series:
    """close_{t+H} / close_t - 1, in sessions (rows), NaN for the last H rows."""
    return close.shift(-horizon) / close - 1.0


def binary_labels(returns: pd.Series, threshold: float) -> pd.Series:
    """1 where the forward return exceeds `threshold` (strictly), 0 otherwise, <NA> if unknown."""
    return (returns > threshold).astype("Int8").where(returns.notna(), pd.NA)


def label_table(
    symbol: str, bars: pd.DataFrame, labels: LabelSpec, windows: WindowSpec
) -> pd.DataFrame:
    """The teacher_labels rows for one symbol: one row per (window, split, session).

    A session appears once per window that uses it (as training or evaluation), so each window's
    exact data can be read back with one query; purge-gap sessions appear in no split.
    """
    ordered = bars.sort_values("date", ignore_index=True)
    features = compute_features(ordered)
    returns = forward_returns(ordered["close"], labels.horizon)
    rows = pd.concat(
        [
            ordered[["date"]],
            features,
            returns.rename("forward_return"),
            binary_labels(returns, labels.threshold).rename("label"),
        ],
        axis=1,
    )
    first = first_complete_row(features)
    planned = [] if first is None else plan_windows(len(rows), first, windows, labels.horizon)
    parts = []
    for window in planned:
        for split, start, stop in (
            ("train", window.train_start, window.train_stop),
            ("eval", window.eval_start, window.eval_stop),
        ):
            part = rows.iloc[start:stop].assign(
                window_index=window.index, split=split, symbol=symbol
            )
            parts.append(part)
    if not parts:
        return _empty_table()
    return pd.concat(parts, ignore_index=True).loc[:, list(LABEL_COLUMNS)]


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": pd.Series(dtype="object"),
            "window_index": pd.Series(dtype="int64"),
            "split": pd.Series(dtype="object"),
            "date": pd.Series(dtype="datetime64[ns]"),
            **{name: pd.Series(dtype="float64") for name in (*FEATURE_NAMES, "forward_return")},
            "label": pd.Series(dtype="Int8"),
        }
    )


def read_label_table(conn: duckdb.DuckDBPyConnection, symbol: str) -> pd.DataFrame:
    """One symbol's teacher_labels rows, by window, split and date."""
    columns = ", ".join(f'"{c}"' for c in LABEL_COLUMNS)
    frame = conn.execute(
        f"SELECT {columns} FROM teacher_labels WHERE symbol = ? "
        "ORDER BY window_index, split DESC, date",
        [symbol],
    ).df()
    frame["date"] = pd.to_datetime(frame["date"])
    frame["label"] = frame["label"].astype("Int8")
    return frame
