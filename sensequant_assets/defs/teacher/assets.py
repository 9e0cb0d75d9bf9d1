"""The teacher stage in Dagster: labels and walk-forward CatBoost models per symbol.

Both assets take several symbols per run (backfills put up to 100 in a run) and record each
symbol's outcome as that partition's metadata. Each checks the quality gate first, because a
blocking asset check on `daily_bars` only stops steps in its own run and these assets always run
in other runs.
"""

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from sensequant_assets.defs.partitions import BARS_BY_SYMBOL, BATCHED_BACKFILL, symbols_partitions
from sensequant_assets.defs.resources import TeacherSettings
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.quality.gate import blocking_failures
from sensequant_assets.teacher.features import FEATURE_NAMES
from sensequant_assets.teacher.labels import label_table
from sensequant_assets.teacher.report import labels_markdown, model_markdown
from sensequant_assets.teacher.training import device_problem, train_windows
from sensequant_assets.universe.reference import load_listing_dates
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource
from sensequant_assets.warehouse.storage import (
    pack_features,
    read_bars,
    read_labels,
    replace_rows,
    transaction,
)
from sensequant_assets.warehouse.tables import TEACHER_LABELS, TEACHER_RUNS


def _gated(context: dg.AssetExecutionContext, symbol: str, failures: list[str]) -> None:
    context.log.warning(
        f"{context.asset_key.to_user_string()}[{symbol}] not built: its bars failed "
        f"blocking checks: {'; '.join(failures)}. Fix what they name and re-materialize."
    )
    context.add_asset_metadata(
        {
            "status": "gated",
            "blocking_failures": dg.MetadataValue.md("\n".join(f"- {m}" for m in failures)),
            "dagster/row_count": 0,
        },
        partition_key=symbol,
    )


def _raise_errors(context: dg.AssetExecutionContext, errors: list[str]) -> None:
    if errors:
        raise dg.Failure(
            description=(
                f"{context.asset_key.to_user_string()}: {len(errors)} problem(s); nothing from "
                "this run was stored.\n" + "\n".join(errors)
            )
        )


NO_WINDOW = "no window: history shorter than warm-up + window"


@dg.asset(
    partitions_def=symbols_partitions,
    deps=[dg.AssetDep("daily_bars", partition_mapping=BARS_BY_SYMBOL)],
    pool=WAREHOUSE_POOL,
    backfill_policy=BATCHED_BACKFILL,
    metadata=TEACHER_LABELS.metadata(),
    group_name="teacher",
    kinds={"duckdb", "pandas"},
)
def teacher_labels(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    teacher: TeacherSettings,
    paths: ProjectPaths,
) -> dg.MaterializeResult:
    """Features, forward returns and binary labels per walk-forward window and split, over all of
    a symbol's daily bars; written to the `teacher_labels` table (all symbols of a run, or none)."""
    gated: dict[str, list[str]] = {}
    labelled: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    errors = []
    listings = load_listing_dates(paths.listings_file)
    with warehouse.get_connection() as conn:
        for symbol in context.partition_keys:
            failures = blocking_failures(conn, symbol, listings)
            bars = pd.DataFrame() if failures else read_bars(conn, [symbol])
            if failures:
                gated[symbol] = failures
            elif bars.empty:
                errors.append(
                    f"teacher_labels[{symbol}]: no daily_bars rows in {warehouse.database}; "
                    f"materialize daily_bars for {symbol} first."
                )
            else:
                rows = label_table(symbol, bars, teacher.label_spec(), teacher.window_spec())
                labelled[symbol] = (bars, rows)
        _raise_errors(context, errors)
        with transaction(conn):
            for symbol in gated:
                replace_rows(conn, "teacher_labels", "symbol = ?", [symbol], pd.DataFrame())
            for symbol, (_, rows) in labelled.items():
                replace_rows(
                    conn,
                    "teacher_labels",
                    "symbol = ?",
                    [symbol],
                    pack_features(rows, FEATURE_NAMES, "original15"),
                )
    for symbol, failures in gated.items():
        _gated(context, symbol, failures)
    for symbol, (bars, rows) in labelled.items():
        context.add_asset_metadata(_labels_metadata(bars, rows), partition_key=symbol)
    return dg.MaterializeResult()


def _labels_metadata(bars: pd.DataFrame, rows: pd.DataFrame) -> dict[str, object]:
    labelled = rows["label"].dropna()
    return {
        "status": "labelled" if len(rows) else NO_WINDOW,
        "dagster/row_count": len(rows),
        "windows": int(rows["window_index"].nunique()),
        "sessions": len(bars),
        "first_session": bars["date"].min().date().isoformat(),
        "last_session": bars["date"].max().date().isoformat(),
        "labelled_rows": len(labelled),
        "positive_rate": float(labelled.mean()) if len(labelled) else float("nan"),
        "windows_table": dg.MetadataValue.md(labels_markdown(rows)),
    }


@dg.asset(
    partitions_def=symbols_partitions,
    deps=[dg.AssetDep(teacher_labels)],
    pool=WAREHOUSE_POOL,
    backfill_policy=BATCHED_BACKFILL,
    metadata=TEACHER_RUNS.metadata(),
    group_name="teacher",
    kinds={"duckdb", "catboost"},
)
def teacher_model(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    teacher: TeacherSettings,
    paths: ProjectPaths,
) -> dg.MaterializeResult:
    """One CatBoost classifier per walk-forward window, scored on the window's out-of-sample
    slice; results in the `teacher_runs` table, models under data/models/<symbol>/.

    The warehouse is read, released while fitting, and reopened to store every symbol's runs in
    one transaction; model folders are swapped in only after that commit, so table and files
    agree, and a failed run leaves the previous runs and models as they were.
    """
    params = teacher.training_params()
    if problem := device_problem(params):
        _raise_errors(context, [f"teacher_model: {problem}"])
    gated: dict[str, list[str]] = {}
    too_short: list[str] = []
    to_train: dict[str, pd.DataFrame] = {}
    errors = []
    listings = load_listing_dates(paths.listings_file)
    with warehouse.get_connection() as conn:
        for symbol in context.partition_keys:
            failures = blocking_failures(conn, symbol, listings)
            labels = pd.DataFrame() if failures else read_labels(conn, symbol, FEATURE_NAMES)
            if failures:
                gated[symbol] = failures
            elif not labels.empty:
                to_train[symbol] = labels
            elif _too_short(conn, symbol, teacher):
                too_short.append(symbol)
            else:
                errors.append(
                    f"teacher_model[{symbol}]: teacher_labels holds no rows for {symbol} in "
                    f"{warehouse.database}; materialize daily_bars and teacher_labels for "
                    f"{symbol} first."
                )
    _raise_errors(context, errors)

    staging_root = paths.models / ".staging" / context.run_id
    trained = {
        symbol: train_windows(symbol, labels, params, staging_root / symbol, paths.models / symbol)
        for symbol, labels in to_train.items()
    }
    errors = [
        f"teacher_model[{symbol}] window {run.window_index}: {run.reason}"
        for symbol, runs in trained.items()
        for run in runs[runs["status"] == "failed"].itertuples()
    ]
    if errors:
        _remove_tree(staging_root)
    _raise_errors(context, errors)

    with warehouse.get_connection() as conn, transaction(conn):
        for symbol in [*gated, *too_short]:
            replace_rows(conn, "teacher_runs", "symbol = ?", [symbol], pd.DataFrame())
        for symbol, runs in trained.items():
            replace_rows(conn, "teacher_runs", "symbol = ?", [symbol], runs)
    for symbol in [*gated, *too_short]:
        _remove_tree(paths.models / symbol)
    for symbol in trained:
        _publish(staging_root / symbol, paths.models / symbol)
    _remove_tree(staging_root)

    for symbol, failures in gated.items():
        _gated(context, symbol, failures)
    for symbol in too_short:
        context.add_asset_metadata({"status": NO_WINDOW}, partition_key=symbol)
    for symbol, runs in trained.items():
        context.add_asset_metadata(
            _model_metadata(symbol, runs, paths.models / symbol), partition_key=symbol
        )
    return dg.MaterializeResult()


def _too_short(conn: duckdb.DuckDBPyConnection, symbol: str, teacher: TeacherSettings) -> bool:
    """Whether the symbol's bars yield no window at all, which is a skip, not a failure."""
    bars = read_bars(conn, [symbol])
    return (
        not bars.empty
        and label_table(symbol, bars, teacher.label_spec(), teacher.window_spec()).empty
    )


def _remove_tree(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)


def _publish(staging: Path, published: Path) -> None:
    """Replace the symbol's model folder with the freshly trained one (stale windows go too)."""
    _remove_tree(published)
    published.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(published)


def _model_metadata(symbol: str, runs: pd.DataFrame, published: Path) -> dict[str, object]:
    counts = runs["status"].value_counts()
    trained = runs[runs["status"] == "trained"]
    return {
        "status": "trained" if len(trained) else "nothing trained",
        "dagster/row_count": len(runs),
        "windows_trained": int(counts.get("trained", 0)),
        "windows_skipped": int(counts.get("skipped", 0)),
        "windows_failed": int(counts.get("failed", 0)),
        "mean_eval_roc_auc": float(pd.to_numeric(trained["eval_roc_auc"]).mean()),
        "mean_accuracy_over_baseline": float(
            (trained["eval_accuracy"] - trained["baseline_accuracy"]).mean()
        ),
        "models": dg.MetadataValue.path(str(published)),
        "windows": dg.MetadataValue.md(model_markdown(symbol, runs)),
    }
