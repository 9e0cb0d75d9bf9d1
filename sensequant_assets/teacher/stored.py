"""The teacher's stored labels and its headline figures, as the assets read them.

Label rows are read back with their features unpacked by the feature set their own settings
name; rows that other settings built are refused with both settings and the command that
rebuilds them, so a model never trains on labels its run config does not describe.
"""

from collections.abc import Mapping

import duckdb
import pandas as pd

from sensequant_assets.teacher.features import get_feature_set
from sensequant_assets.teacher.labels import settings_mismatch, stored_settings
from sensequant_assets.teacher.metrics import pooled_report
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.warehouse.storage import read_labels, unpack_features


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


def pooled(predictions: pd.DataFrame, teacher: TeacherSettings) -> pd.DataFrame:
    """The pooled report of out-of-sample predictions, its intervals and t-statistics over at
    least the H sessions over which labels overlap."""
    return pooled_report(predictions, teacher.horizon, min_names=teacher.min_names)


def headline(report: pd.DataFrame, scorer: str, metric: str) -> float | None:
    """One pooled figure of the report (None where it does not apply or is undefined)."""
    row = report[(report["scorer"] == scorer) & (report["metric"] == metric)]
    return None if row.empty or pd.isna(row["value"].iloc[0]) else float(row["value"].iloc[0])


def interval_text(report: pd.DataFrame, scorer: str, metric: str) -> str:
    row = report[(report["scorer"] == scorer) & (report["metric"] == metric)]
    if row.empty or pd.isna(row["value"].iloc[0]):
        return "undefined"
    value, low, high = row[["value", "ci_low", "ci_high"]].iloc[0]
    return f"{value:.3f} [{low:.3f}, {high:.3f}]" if pd.notna(low) else f"{value:.3f}"
