"""Teacher labels: would a trade decided after today's close have moved decisively up or down?

The decision is made after the close of session t, from features computed on bars up to t. The
trade enters at session t+1 (its open where the bars carry opens, otherwise its close: a pipeline
that runs after the close cannot trade at the close its features were computed from) and exits at
the close of t+1+H:

    forward_return_t = close_{t+1+H} / entry_{t+1} - 1
    label_t = 1 if forward_return_t > θ_t,  0 if forward_return_t < -θ_t,  none otherwise

θ_t is either a fixed return or volatility-scaled, k * σ_t * √H with σ_t the trailing standard
deviation of daily log returns known at the close of t: 2 % is a quiet week for one stock and
noise for another.

The label is two-sided on purpose. A one-sided label (1 if the return beats θ_t, else 0) mixes
direction with size: how often a return beats θ_t depends on the stock's volatility relative to
θ_t, which the features measure. On pure random walks, where nothing about the future can be
known, the trailing σ alone ranks such labels with an AUC of 0.54 under the volatility-scaled
threshold (200 walks, 2022-2024), and a volatility feature with a fixed threshold would do the
same on real stocks: skill at predicting a label that is not skill at predicting a return. With
two sides, an up move beyond θ_t and a down move beyond -θ_t are equally likely under no drift,
whatever θ_t is. Sessions in between (|return| <= θ_t) carry no label and are neither trained
nor scored as labels; their forward return still counts in the rank IC.

A label spans sessions t+1 .. t+1+H, so the walk-forward purge gap is H + 1 sessions. A row
without those sessions has no forward return; it is kept, so the table shows where the history
ends rather than silently dropping it.

Overlapping labels share the same price path: with every session labelled, each return is counted
by H + 1 labels. Each labelled row gets López de Prado's average-uniqueness weight (Advances in
Financial Machine Learning, ch. 4) among the labels of its own window and split, so a training
set is weighted by how much independent information its labels carry, and by nothing outside it.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from sensequant_assets.teacher.features import (
    DEFAULT_FEATURE_SET,
    FEATURE_COLUMNS,
    first_complete_row,
    get_feature_set,
    realized_volatility,
)
from sensequant_assets.teacher.windows import WindowSpec, plan_windows
from sensequant_assets.warehouse.storage import read_labels, symbol_reads, unpack_features

# Bump when the label formula changes, so labels built by the old one are recognisably stale.
LABEL_DEFINITION = "next_session_entry_v1"

LABEL_COLUMNS: tuple[str, ...] = (
    "symbol",
    "window_index",
    "split",
    "date",
    *FEATURE_COLUMNS,
    "entry_at",
    "exit_date",
    "past_return",
    "threshold",
    "forward_return",
    "label",
    "weight",
    "settings",
)


@dataclass(frozen=True)
class LabelSpec:
    """Horizon in sessions and how the return a label must exceed is set.

    `threshold` is used when `threshold_kind` is "fixed"; `k` and `vol_window` when it is
    "volatility" (θ_t = k * σ_t * √horizon, σ_t over the last `vol_window` daily log returns).
    The default k = 0.5 is about the former fixed 2 % for a stock of 1.7 % daily volatility over
    five sessions; on a driftless walk it labels about 31 % of sessions up, 31 % down and leaves
    38 % without a decisive move.
    """

    horizon: int = 5
    threshold_kind: Literal["fixed", "volatility"] = "volatility"
    threshold: float = 0.02
    k: float = 0.5
    vol_window: int = 20

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise ValueError(
                f"The label horizon must be at least one session (got {self.horizon}); "
                "fix the teacher settings."
            )
        if self.threshold_kind not in ("fixed", "volatility"):
            raise ValueError(
                f"threshold_kind must be 'fixed' or 'volatility' (got {self.threshold_kind!r})."
            )
        if self.threshold < 0:
            raise ValueError(
                f"The threshold is a distance from zero on both sides and cannot be negative "
                f"(got {self.threshold}); fix the teacher settings."
            )
        if self.k < 0 or self.vol_window < 2:
            raise ValueError(
                f"A volatility threshold needs k >= 0 and vol_window >= 2 (got k={self.k}, "
                f"vol_window={self.vol_window}); fix the teacher settings."
            )

    @property
    def purge(self) -> int:
        """Sessions between a window's last training row and its first evaluation row: a label
        decided at t spans t+1 .. t+1+H."""
        return self.horizon + 1

    def provenance(self) -> dict[str, object]:
        """The settings that decide every label value, and only those (an unused `threshold`
        under volatility scaling is left out, so changing it does not make labels stale)."""
        chosen: dict[str, object] = (
            {"threshold": self.threshold}
            if self.threshold_kind == "fixed"
            else {"k": self.k, "vol_window": self.vol_window}
        )
        return {
            "label_definition": LABEL_DEFINITION,
            "horizon": self.horizon,
            "threshold_kind": self.threshold_kind,
            **chosen,
        }


def label_settings(
    labels: LabelSpec, windows: WindowSpec, feature_set: str = DEFAULT_FEATURE_SET
) -> dict[str, object]:
    """Everything that decides a teacher_labels row: label, window and feature-set settings."""
    return {
        **labels.provenance(),
        **windows.provenance(),
        "purge": labels.purge,
        **get_feature_set(feature_set).provenance(),
    }


def settings_json(settings: Mapping[str, object]) -> str:
    """The canonical text of a settings dict (sorted keys), as stored in `settings` columns."""
    return json.dumps(dict(settings), sort_keys=True)


def stored_settings(rows: pd.DataFrame) -> dict[str, object]:
    """The one settings dict that built `rows` (label or run rows); a ValueError when they mix
    several, which only a partial write could produce."""
    distinct = rows["settings"].dropna().unique()
    if len(distinct) != 1:
        raise ValueError(f"Expected rows built with one set of settings, found {len(distinct)}.")
    return json.loads(distinct[0])


def settings_mismatch(stored: Mapping[str, object], wanted: Mapping[str, object]) -> str | None:
    """None when two settings dicts agree; otherwise each differing key with both values."""
    differing = sorted(
        key for key in stored.keys() | wanted.keys() if stored.get(key) != wanted.get(key)
    )
    if not differing:
        return None
    return "; ".join(
        f"{key}: built with {stored.get(key, '(absent)')!r}, now {wanted.get(key, '(absent)')!r}"
        for key in differing
    )


def labels_fingerprint(rows: pd.DataFrame, model_version: str) -> str:
    """What a model is trained from: its label rows (values and columns) and the settings that
    train it. Equal fingerprints mean retraining would reproduce the stored model."""
    digest = hashlib.sha256(model_version.encode())
    digest.update(json.dumps(list(map(str, rows.columns))).encode())
    digest.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def entry_prices(bars: pd.DataFrame) -> tuple[pd.Series, Literal["open", "close"]]:
    """The price a trade entered at session s gets, and which one it is: the open where every bar
    has a positive open, otherwise the close. All-or-nothing per symbol, so that one symbol's
    forward returns all measure the same thing."""
    if "open" in bars.columns:
        opens = pd.to_numeric(bars["open"], errors="coerce")
        if len(opens) and opens.notna().all() and (opens > 0).all():
            return opens.astype("float64"), "open"
    return bars["close"].astype("float64"), "close"


def forward_returns(entry: pd.Series, close: pd.Series, horizon: int) -> pd.Series:
    """close_{t+1+H} / entry_{t+1} - 1 for a decision at t, in sessions (rows); NaN for the last
    H + 1 rows."""
    return close.shift(-(horizon + 1)) / entry.shift(-1) - 1.0


def past_returns(close: pd.Series, horizon: int) -> pd.Series:
    """close_t / close_{t-H} - 1: the return the momentum baseline ranks by, known at t."""
    return close / close.shift(horizon) - 1.0


def label_thresholds(close: pd.Series, spec: LabelSpec) -> pd.Series:
    """θ_t: the fixed threshold, or k * σ_t * √H with σ_t the sample standard deviation of the
    last `vol_window` daily log returns up to t (NaN before `vol_window` returns exist)."""
    if spec.threshold_kind == "fixed":
        return pd.Series(spec.threshold, index=close.index, dtype="float64")
    return spec.k * realized_volatility(close, spec.vol_window) * np.sqrt(spec.horizon)


def binary_labels(returns: pd.Series, thresholds: pd.Series | float) -> pd.Series:
    """1 where the forward return is above θ, 0 where it is below -θ (both strictly), <NA> in
    between (no decisive move) or where either is unknown."""
    theta = pd.Series(thresholds, index=returns.index, dtype="float64")
    decisive = (returns > theta) | (returns < -theta)
    return (returns > theta).astype("Int8").where(decisive, pd.NA)


def average_uniqueness(starts: np.ndarray, ends: np.ndarray, n_sessions: int) -> np.ndarray:
    """López de Prado's average uniqueness of each label: label i spans sessions starts[i] ..
    ends[i] (inclusive positions < n_sessions); c_s is the number of labels spanning session s,
    and u_i = mean over s in the span of 1 / c_s. 1 for a label nothing overlaps, 1/m for one
    that m labels (itself included) share completely."""
    coverage = np.zeros(n_sessions + 1)
    np.add.at(coverage, starts, 1.0)
    np.add.at(coverage, ends + 1, -1.0)
    concurrency = np.cumsum(coverage)[:n_sessions]
    inverse = np.where(concurrency > 0, 1.0 / np.where(concurrency > 0, concurrency, 1.0), 0.0)
    cumulative = np.concatenate([[0.0], np.cumsum(inverse)])
    return (cumulative[ends + 1] - cumulative[starts]) / (ends - starts + 1)


def split_weights(labels: pd.Series, purge: int) -> np.ndarray:
    """Average uniqueness of each labelled row among the labelled rows given (NaN for the
    others): `labels` are one symbol's consecutive sessions in date order, a label at position
    p spans p + 1 .. p + purge. Computed per window and split from that split's rows only: over
    the whole history, a training label's weight would depend on whether the labels of the
    purge gap, which end inside the evaluation slice, were decisive."""
    labelled = np.flatnonzero(labels.notna().to_numpy())
    weights = np.full(len(labels), np.nan)
    weights[labelled] = average_uniqueness(labelled + 1, labelled + purge, len(labels) + purge)
    return weights


def label_table(
    symbol: str,
    bars: pd.DataFrame,
    labels: LabelSpec,
    windows: WindowSpec,
    feature_set: str = DEFAULT_FEATURE_SET,
) -> pd.DataFrame:
    """The teacher_labels rows for one symbol: one row per (window, split, session), columns
    `LABEL_COLUMNS` (the feature columns of other sets are NaN).

    A session appears once per window that uses it (as training or evaluation), so each window's
    exact data can be read back with one query; purge-gap sessions appear in no split. Windows
    start at the first session whose features and threshold are all defined. Every row carries
    the settings that built it, as canonical JSON.
    """
    ordered = bars.sort_values("date", ignore_index=True)
    chosen = get_feature_set(feature_set)
    features = chosen.compute(ordered).loc[:, list(chosen.columns)]
    close = ordered["close"].astype("float64")
    entry, entry_at = entry_prices(ordered)
    returns = forward_returns(entry, close, labels.horizon)
    thresholds = label_thresholds(close, labels)
    label = binary_labels(returns, thresholds)
    rows = pd.concat(
        [
            ordered[["date"]],
            features.reindex(columns=list(FEATURE_COLUMNS)),
            pd.DataFrame(
                {
                    "entry_at": entry_at,
                    "exit_date": ordered["date"].shift(-labels.purge),
                    "past_return": past_returns(close, labels.horizon),
                    "threshold": thresholds,
                    "forward_return": returns,
                    "label": label,
                    "weight": np.nan,
                    "settings": settings_json(label_settings(labels, windows, feature_set)),
                },
                index=ordered.index,
            ),
        ],
        axis=1,
    )
    first = _first_usable_row(features, thresholds)
    if first is None:
        return _empty_table()
    parts = []
    for window in plan_windows(len(rows), first, windows, labels.purge):
        for split, start, stop in (
            ("train", window.train_start, window.train_stop),
            ("eval", window.eval_start, window.eval_stop),
        ):
            part = rows.iloc[start:stop].assign(
                window_index=window.index,
                split=split,
                symbol=symbol,
                weight=split_weights(rows["label"].iloc[start:stop], labels.purge),
            )
            parts.append(part)
    if not parts:
        return _empty_table()
    return pd.concat(parts, ignore_index=True).loc[:, list(LABEL_COLUMNS)]


def _first_usable_row(features: pd.DataFrame, thresholds: pd.Series) -> int | None:
    """The first row whose features and label threshold are all defined."""
    return first_complete_row(pd.concat([features, thresholds.rename("threshold")], axis=1))


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": pd.Series(dtype="object"),
            "window_index": pd.Series(dtype="int64"),
            "split": pd.Series(dtype="object"),
            "date": pd.Series(dtype="datetime64[ns]"),
            **{name: pd.Series(dtype="float64") for name in FEATURE_COLUMNS},
            "entry_at": pd.Series(dtype="object"),
            "exit_date": pd.Series(dtype="datetime64[ns]"),
            **{
                name: pd.Series(dtype="float64")
                for name in ("past_return", "threshold", "forward_return")
            },
            "label": pd.Series(dtype="Int8"),
            "weight": pd.Series(dtype="float64"),
            "settings": pd.Series(dtype="object"),
        }
    )


def stored_labels(
    conn: duckdb.DuckDBPyConnection, symbols: list[str], wanted: Mapping[str, object]
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Each symbol's label rows with their features unpacked, and the symbols whose rows cannot
    be used: rows built with other settings are refused, naming both and the command that
    rebuilds them. A symbol without rows is in neither."""
    frames, refused = {}, {}
    for symbol, rows in read_labels(conn, symbols).groupby("symbol", sort=False):
        settings = stored_settings(rows)
        if mismatch := settings_mismatch(settings, wanted):
            refused[str(symbol)] = (
                f"teacher_labels[{symbol}] were built with other settings ({mismatch}). "
                f"Re-materialize teacher_labels[{symbol}] with these settings first "
                f"(`dagster asset materialize -m sensequant_assets.definitions --select "
                f"teacher_labels --partition {symbol}`, or Materialize in the UI)."
            )
            continue
        features = get_feature_set(str(settings["feature_set"])).columns
        frames[str(symbol)] = unpack_features(rows.reset_index(drop=True), features)
    return frames, refused


def stored_sessions(
    conn: duckdb.DuckDBPyConnection, symbols: list[str], wanted: Mapping[str, object]
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """`stored_labels`, one row per symbol and session (its first window's), read
    SYMBOLS_PER_READ symbols at a time. Why: a model pooled across symbols uses each session
    once, and a label row repeats its session in every window that holds it (about five times
    at the default 252 / 63), so reading every symbol's rows at once held five copies of NIFTY
    500 x 10 years' 1.25 M sessions with their features; this holds one, and a few dozen
    symbols' windows at a time (one query a symbol cost a DuckLake a listing of its files each
    time)."""
    frames, refused = {}, {}
    for read in symbol_reads(symbols):
        labelled, why = stored_labels(conn, read, wanted)
        refused |= why
        frames |= {
            name: rows.drop_duplicates("date", ignore_index=True) for name, rows in labelled.items()
        }
    return frames, refused
