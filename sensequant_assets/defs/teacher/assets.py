"""The teacher stage in Dagster: labels, per-symbol walk-forward models, one universe model.

The per-symbol assets take up to 100 symbols a run and record each symbol's outcome as that
partition's metadata. Each checks the quality gate first, because a blocking asset check on
`daily_bars` only stops steps in its own run and these assets always run in other runs.
`teacher_model` materializes only the symbols it trained: a gated or too-short symbol gets an
observation that says why and stays unmaterialized, so the UI never shows it green.

Neither rebuilds what would come out the same: a symbol whose bars, corporate actions and label
settings have the versions its latest labels recorded keeps its label rows, and a symbol whose
label rows and model settings are those its latest model was trained from keeps its model; each
is materialized again, "unchanged", with the data version it had, so nothing downstream reads it
as new. Every partition reports its own data version (one materialization per partition,
`dagster_internals.versioned_materialization`): the UI's unsynced markers and the automation
conditions read them.
"""

from collections.abc import Iterator, Mapping
from typing import NamedTuple

import dagster as dg
import duckdb
import pandas as pd

from sensequant_assets.dagster_internals import (
    data_version,
    input_provenance,
    latest_records,
    reported_output,
    versioned_materialization,
)
from sensequant_assets.defs.owners import ownership
from sensequant_assets.defs.partitions import BATCHED_BACKFILL, BY_SYMBOL, symbols_partitions
from sensequant_assets.defs.resources import teacher_settings
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.quality.gate import blocking_failures
from sensequant_assets.teacher.economics import economic_summary, economic_test
from sensequant_assets.teacher.features import get_feature_set
from sensequant_assets.teacher.labels import label_table, labels_fingerprint, stored_settings
from sensequant_assets.teacher.metrics import common_rows
from sensequant_assets.teacher.model_files import (
    UNIVERSE_OWNER,
    discard,
    remove_unused,
    run_folder,
    run_folders,
)
from sensequant_assets.teacher.report import (
    comparison_markdown,
    economics_markdown,
    labels_markdown,
    model_markdown,
    universe_markdown,
)
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.teacher.stored import headline, interval_text, pooled, stored_labels
from sensequant_assets.teacher.training import (
    TrainingResult,
    device_problem,
    point_in_time_rows,
    train_universe,
    train_windows,
)
from sensequant_assets.universe.partitions import checked_symbols, symbol_year_key
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days, load_listing_dates
from sensequant_assets.warehouse.corporate_actions import read_adjusted_bars
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource
from sensequant_assets.warehouse.snapshots import publish_committed
from sensequant_assets.warehouse.storage import (
    label_row_counts,
    pack_features,
    read_membership,
    read_predictions,
    replace_rows,
    transaction,
)
from sensequant_assets.warehouse.tables import (
    TEACHER_LABELS,
    TEACHER_PREDICTIONS,
    TEACHER_RUNS,
    TEACHER_UNIVERSE_RUNS,
)
from sensequant_assets.warehouse.versions import (
    bar_versions,
    combine_versions,
    corporate_action_versions,
)

NO_WINDOW = "no window: history shorter than warm-up + window"
FINGERPRINT = "labels_fingerprint"
MODEL_RUN = "model_run"  # the run whose model files a partition's latest materialization names
LABELS_RUN = "labels_run"  # the run whose label rows a partition's latest materialization names
BARS_VERSIONS = "bars_versions"  # {daily_bars partition: data version} the rows were built from
LAST_SESSION = "last_session"
DAILY_BARS = dg.AssetKey("daily_bars")
UNIVERSE_MEMBERSHIP_KEY = dg.AssetKey("universe_membership")
CORPORATE_ACTIONS = dg.AssetKey("corporate_actions")
UNCHANGED = "unchanged"

# Kept current by teacher_automation_sensor (defs/teacher/sensors.py): eager, except that a
# dependency counts as updated only when its data version changed (a refresh that stored the
# same bars requests nothing), so a symbol's labels are rebuilt after one of its bars partitions
# changed, and its model after its labels changed; never while a dependency is missing or in
# progress, or a blocking check on it fails.
DEPS_DATA_CHANGED = dg.AutomationCondition.any_deps_match(
    (
        dg.AutomationCondition.data_version_changed()
        & ~dg.AutomationCondition.executed_with_root_target()
    ).with_label("data_version_changed_without_root")
    | dg.AutomationCondition.will_be_requested()
).with_label("any_deps_data_changed")
TEACHER_AUTOMATION = (
    (dg.AutomationCondition.newly_missing() | DEPS_DATA_CHANGED).since_last_handled()
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
    & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("eager on data versions")
# Code versions from the deployment's settings: a new horizon or feature set shows every label
# and model partition unsynced (the labels' recorded settings still refuse stale rows).
DEPLOYED = teacher_settings()


def _problems(asset: str, errors: list[str]) -> None:
    if errors:
        raise dg.Failure(
            description=f"{asset}: {len(errors)} problem(s); nothing from this run was stored.\n"
            + "\n".join(errors)
        )


def _gated_metadata(failures: list[str]) -> dict[str, object]:
    return {
        "status": "gated",
        "reason": dg.MetadataValue.md(
            "Not built: its bars failed blocking checks; fix what they name and re-materialize.\n"
            + "\n".join(f"- {message}" for message in failures)
        ),
    }


@dg.asset(
    partitions_def=symbols_partitions,
    deps=[
        dg.AssetDep(DAILY_BARS, partition_mapping=BY_SYMBOL),
        dg.AssetDep(CORPORATE_ACTIONS),
    ],
    pool=WAREHOUSE_POOL,
    backfill_policy=BATCHED_BACKFILL,
    metadata=TEACHER_LABELS.metadata(),
    group_name="teacher",
    **ownership("teacher"),
    kinds={"duckdb", "pandas"},
    code_version=DEPLOYED.labels_version(),
    automation_condition=TEACHER_AUTOMATION,
    dagster_type=dg.Nothing,
)
def teacher_labels(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    teacher: TeacherSettings,
    paths: ProjectPaths,
) -> Iterator[dg.AssetMaterialization | dg.Output]:
    """Features at each session's close (prices adjusted for corporate actions, raw bars kept),
    the next-session-entry forward return, its two-sided
    label and uniqueness weight, per walk-forward window and split, with the settings that built
    them; written to `teacher_labels` (all symbols of a run, or none). A gated symbol's rows are
    removed, so no model can train on them.

    A symbol is relabelled only when what its rows are built from changed: the data versions of
    its bars partitions and corporate actions (recorded as `bars_versions` on each labels
    materialization) and the label settings. Otherwise its rows are kept and the partition is
    materialized again, "unchanged", naming the run that built them, with the same data version
    (so its model is not asked to retrain)."""
    feature_columns = get_feature_set(teacher.feature_set).columns
    symbols = checked_symbols(context.partition_keys)
    provenance = input_provenance(context.instance, [DAILY_BARS, CORPORATE_ACTIONS])
    previous = latest_records(context.instance, context.asset_key, symbols)
    gated: dict[str, list[str]] = {}
    labelled: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    errors = []
    listings = load_listing_dates(paths.listings_file)
    known = load_known_days(paths.reference / SESSIONS_FILE)
    with warehouse.get_connection() as conn:
        for symbol in symbols:
            if failures := blocking_failures(conn, symbol, listings, reference=known):
                gated[symbol] = failures
        usable = [s for s in symbols if s not in gated]
        inputs = _label_inputs(conn, usable, teacher.labels_version())
        unchanged = _unchanged_labels(previous, inputs, label_row_counts(conn, usable))
        for symbol in usable:
            if symbol in unchanged:
                continue
            if (bars := read_adjusted_bars(conn, [symbol])).empty:
                errors.append(
                    f"teacher_labels[{symbol}]: no daily_bars rows in {warehouse.location}; "
                    f"materialize daily_bars for {symbol} first."
                )
            else:
                rows = label_table(
                    symbol, bars, teacher.label_spec(), teacher.window_spec(), teacher.feature_set
                )
                labelled[symbol] = (bars, rows)
        _problems("teacher_labels", errors)
        with transaction(conn):
            for symbol in gated:
                replace_rows(conn, TEACHER_LABELS.name, "symbol = ?", [symbol], pd.DataFrame())
            for symbol, (_, rows) in labelled.items():
                packed = TEACHER_LABELS.select(pack_features(rows, feature_columns))
                replace_rows(conn, TEACHER_LABELS.name, "symbol = ?", [symbol], packed)
        changes = {TEACHER_LABELS: [(symbol,) for symbol in [*gated, *labelled]]}
        publish_committed(conn, paths.snapshots_for(warehouse.local_file), changes, context.log)
    code_version = _code_version(context)
    for symbol, failures in gated.items():
        context.log.warning(f"teacher_labels[{symbol}] gated: {'; '.join(failures)}")
        metadata = {**_gated_metadata(failures), "dagster/row_count": 0}
        version = combine_versions(["gated", *failures])
        yield versioned_materialization(
            context.asset_key, symbol, metadata, version, code_version, provenance
        )
    for symbol, record in unchanged.items():
        kept = recorded_metadata(record)
        run_id = kept[LABELS_RUN].value if LABELS_RUN in kept else record.run_id
        metadata = {
            **kept,
            "status": UNCHANGED,
            "reason": f"bars, corporate actions and settings unchanged since run {run_id}: "
            "its rows are kept",
        }
        yield versioned_materialization(
            context.asset_key, symbol, metadata, inputs[symbol].version, code_version, provenance
        )
    for symbol, (bars, rows) in labelled.items():
        bars_seen, version = inputs[symbol]
        metadata = {
            **_labels_metadata(bars, rows),
            BARS_VERSIONS: dg.MetadataValue.json(bars_seen),
            LABELS_RUN: context.run_id,
        }
        yield versioned_materialization(
            context.asset_key, symbol, metadata, version, code_version, provenance
        )
    yield reported_output()


def _code_version(context: dg.AssetExecutionContext) -> str:
    """The asset's declared code version, as Dagster records it on its own materializations."""
    return context.assets_def.code_versions_by_key[context.asset_key] or context.run_id


class LabelInputs(NamedTuple):
    """What a symbol's labels are built from: its bars partitions' data versions, and the
    version that they, its corporate actions and the label settings give its labels."""

    bars: dict[str, str]
    version: str


def _label_inputs(
    conn: duckdb.DuckDBPyConnection, symbols: list[str], labels_version: str
) -> dict[str, LabelInputs]:
    actions = corporate_action_versions(conn, symbols)
    bars: dict[str, dict[str, str]] = {symbol: {} for symbol in symbols}
    for (symbol, year), version in sorted(bar_versions(conn, symbols).items()):
        bars[symbol][symbol_year_key(symbol, year)] = version
    return {
        symbol: LabelInputs(
            seen,
            combine_versions(
                [labels_version, *(f"{k}={v}" for k, v in seen.items()), actions[symbol]]
            ),
        )
        for symbol, seen in bars.items()
    }


def _unchanged_labels(
    previous: dict[str, dg.EventLogRecord],
    inputs: dict[str, LabelInputs],
    stored_rows: dict[str, int],
) -> dict[str, dg.EventLogRecord]:
    """The symbols whose latest labels were built from exactly these inputs and whose rows are
    still all stored, each with that materialization."""
    unchanged = {}
    for symbol, (_, version) in inputs.items():
        record = previous.get(symbol)
        if record is None:
            continue
        recorded_rows = recorded_metadata(record).get("dagster/row_count")
        if (
            data_version(record) == version
            and recorded_rows is not None
            and recorded_rows.value == stored_rows[symbol]
        ):
            unchanged[symbol] = record
    return unchanged


def _labels_metadata(bars: pd.DataFrame, rows: pd.DataFrame) -> dict[str, object]:
    labelled = rows["label"].dropna()
    return {
        "status": "labelled" if len(rows) else NO_WINDOW,
        "dagster/row_count": len(rows),
        "windows": int(rows["window_index"].nunique()),
        "sessions": len(bars),
        "first_session": bars["date"].min().date().isoformat(),
        LAST_SESSION: bars["date"].max().date().isoformat(),
        "labelled_rows": len(labelled),
        "up_share_of_labelled": float(labelled.mean()) if len(labelled) else float("nan"),
        "settings": dg.MetadataValue.json(stored_settings(rows)) if len(rows) else "",
        "windows_table": dg.MetadataValue.md(labels_markdown(rows)),
    }


@dg.asset(
    partitions_def=symbols_partitions,
    deps=[dg.AssetDep(teacher_labels)],
    pool=WAREHOUSE_POOL,
    backfill_policy=BATCHED_BACKFILL,
    metadata=TEACHER_RUNS.metadata(),
    group_name="teacher",
    **ownership("teacher"),
    kinds={"duckdb", "catboost"},
    code_version=DEPLOYED.model_version(),
    automation_condition=TEACHER_AUTOMATION,
    dagster_type=dg.Nothing,
)
def teacher_model(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    teacher: TeacherSettings,
    paths: ProjectPaths,
) -> Iterator[dg.AssetMaterialization | dg.AssetObservation | dg.Output]:
    """One CatBoost classifier per walk-forward window, scored on the window's out-of-sample
    slice; runs in `teacher_runs`, out-of-sample predictions in `teacher_predictions`, models
    under data/models/<symbol>/<run id>/. Pooled metrics against three baselines are the
    headline; per-window figures are detail.

    Model files are complete before the rows naming them are committed, and other runs' files
    are removed only after the commit, never a folder that a committed row names or that a run
    still in progress holds (teacher/model_files.py); a failed run stores nothing.

    A symbol whose label rows and model settings are those its latest model was trained from
    (`labels_fingerprint`, also the partition's data version), and whose model files are still
    in place, is not retrained: retraining would reproduce it. Its partition is materialized
    again with status "unchanged" and the run whose model is kept, so a backfill that asked for
    it completes. Each materialization records the bars data versions its labels were built
    from (`bars_versions`), which teacher_freshness_check compares with the bars stored now.
    """
    params = teacher.training_params()
    if problem := device_problem(params):
        _problems("teacher_model", [problem])
    symbols = checked_symbols(context.partition_keys)
    provenance = input_provenance(context.instance, [teacher_labels.key])
    built_from = latest_records(context.instance, teacher_labels.key, symbols)
    gated: dict[str, list[str]] = {}
    too_short: list[str] = []
    listings = load_listing_dates(paths.listings_file)
    known = load_known_days(paths.reference / SESSIONS_FILE)
    with warehouse.get_connection() as conn:
        for symbol in symbols:
            if failures := blocking_failures(conn, symbol, listings, reference=known):
                gated[symbol] = failures
        usable = [s for s in symbols if s not in gated]
        to_train, refused = stored_labels(conn, usable, teacher.label_settings())
        errors = list(refused.values())
        for symbol in usable:
            if symbol in to_train or symbol in refused:
                continue
            if _too_short(conn, symbol, teacher):
                too_short.append(symbol)
            else:
                errors.append(
                    f"teacher_model[{symbol}]: teacher_labels holds no rows for {symbol}; "
                    f"materialize daily_bars and teacher_labels for {symbol} first."
                )
    _problems("teacher_model", errors)

    version = teacher.model_version()
    fingerprints = {s: labels_fingerprint(rows, version) for s, rows in to_train.items()}
    unchanged = {
        symbol: run_id
        for symbol, run_id in _trained_from(context, symbols, fingerprints).items()
        if run_folder(paths.models, symbol, run_id).is_dir()  # a gated run removed it
    }
    retrain = [symbol for symbol in to_train if symbol not in unchanged]
    with run_folders(paths.models, retrain, context.run_id) as folders:
        trained: dict[str, TrainingResult] = {
            symbol: train_windows(symbol, to_train[symbol], params, folder, folder)
            for symbol, folder in folders.items()
        }
        failed = [
            f"teacher_model[{symbol}] window {run.window_index}: {run.reason}"
            for symbol, result in trained.items()
            for run in result.runs[result.runs["status"] == "failed"].itertuples()
        ]
        if failed:
            for symbol in folders:
                discard(paths.models, symbol, context.run_id)
        _problems("teacher_model", failed)

        with warehouse.get_connection() as conn:
            with transaction(conn):
                for symbol in [*gated, *too_short]:
                    _replace_symbol_results(conn, symbol, None)
                for symbol, result in trained.items():
                    _replace_symbol_results(conn, symbol, result)
            replaced = [("per_symbol", symbol) for symbol in [*gated, *too_short, *trained]]
            changes = {TEACHER_RUNS: [()], TEACHER_PREDICTIONS: replaced}
            publish_committed(conn, paths.snapshots_for(warehouse.local_file), changes, context.log)
            remove_unused(conn, paths.models, [*gated, *too_short, *trained])

    for symbol, failures in gated.items():
        context.log.warning(f"teacher_model[{symbol}] not trained (gated): {'; '.join(failures)}")
        yield dg.AssetObservation(
            asset_key=context.asset_key, partition=symbol, metadata=_gated_metadata(failures)
        )
    for symbol in too_short:
        yield dg.AssetObservation(
            asset_key=context.asset_key,
            partition=symbol,
            metadata={"status": "not trained", "reason": NO_WINDOW},
        )
    code_version = _code_version(context)
    for symbol, run_id in unchanged.items():
        metadata = {
            "status": UNCHANGED,
            "reason": f"labels and settings unchanged since run {run_id}: its model is kept",
            "models": dg.MetadataValue.path(str(run_folder(paths.models, symbol, run_id))),
            **_trained_on(built_from.get(symbol)),
            FINGERPRINT: fingerprints[symbol],
            MODEL_RUN: run_id,
        }
        yield versioned_materialization(
            context.asset_key, symbol, metadata, fingerprints[symbol], code_version, provenance
        )
    for symbol, result in trained.items():
        report = pooled(result.predictions, teacher)
        metadata = {
            **_model_metadata(symbol, result, report, paths),
            **_trained_on(built_from.get(symbol)),
            FINGERPRINT: fingerprints[symbol],
            MODEL_RUN: context.run_id,
        }
        yield versioned_materialization(
            context.asset_key, symbol, metadata, fingerprints[symbol], code_version, provenance
        )
    yield reported_output()


def recorded_metadata(record: dg.EventLogRecord | None) -> Mapping[str, dg.MetadataValue]:
    """The metadata a materialization record carries (none without a record)."""
    materialization = record.asset_materialization if record else None
    return materialization.metadata if materialization else {}


def _trained_on(labels: dg.EventLogRecord | None) -> dict[str, dg.MetadataValue]:
    """What the labels a model is trained from were built from, as their materialization says:
    the bars partitions' data versions and the last session."""
    metadata = recorded_metadata(labels)
    return {key: metadata[key] for key in (BARS_VERSIONS, LAST_SESSION) if key in metadata}


def _trained_from(
    context: dg.AssetExecutionContext, symbols: list[str], fingerprints: dict[str, str]
) -> dict[str, str]:
    """The symbols whose latest model was trained from exactly these labels and settings, each
    with the run that trained it: retraining them would reproduce what is stored, so a refresh
    that changed no bar retrains nothing."""
    latest = latest_records(context.instance, context.asset_key, symbols)
    kept = {}
    for symbol, fingerprint in fingerprints.items():
        metadata = recorded_metadata(latest.get(symbol))
        stored, model_run = metadata.get(FINGERPRINT), metadata.get(MODEL_RUN)
        if stored is not None and model_run is not None and stored.value == fingerprint:
            kept[symbol] = str(model_run.value)
    return kept


def _replace_symbol_results(
    conn: duckdb.DuckDBPyConnection, symbol: str, result: TrainingResult | None
) -> None:
    runs = TEACHER_RUNS.select(result.runs) if result else pd.DataFrame()
    predictions = TEACHER_PREDICTIONS.select(result.predictions) if result else pd.DataFrame()
    replace_rows(conn, TEACHER_RUNS.name, "symbol = ?", [symbol], runs)
    replace_rows(
        conn,
        TEACHER_PREDICTIONS.name,
        "model = 'per_symbol' AND symbol = ?",
        [symbol],
        predictions,
    )


def _too_short(conn: duckdb.DuckDBPyConnection, symbol: str, teacher: TeacherSettings) -> bool:
    """Whether the symbol's bars yield no window at all, which is a skip, not a failure."""
    bars = read_adjusted_bars(conn, [symbol])
    spec, windows = teacher.label_spec(), teacher.window_spec()
    return not bars.empty and label_table(symbol, bars, spec, windows, teacher.feature_set).empty


def _model_metadata(
    symbol: str, result: TrainingResult, report: pd.DataFrame, paths: ProjectPaths
) -> dict[str, object]:
    counts = result.runs["status"].value_counts()
    return {
        "status": "trained" if counts.get("trained", 0) else "nothing trained",
        "dagster/row_count": len(result.runs),
        "windows_trained": int(counts.get("trained", 0)),
        "windows_skipped": int(counts.get("skipped", 0)),
        "pooled_auc": headline(report, "model", "roc_auc"),
        "pooled_auc_95ci": interval_text(report, "model", "roc_auc"),
        "pooled_brier_skill": headline(report, "model", "brier_skill"),
        "momentum_auc": headline(report, "momentum", "roc_auc"),
        "placebo_auc": headline(report, "placebo", "roc_auc"),
        "evaluation_rows": len(result.predictions),
        "models": dg.MetadataValue.path(str(paths.models / symbol)),
        "report": dg.MetadataValue.md(
            model_markdown(symbol, result.runs, report, result.predictions)
        ),
    }


# It depends on the labels, not on teacher_model: a backfill counts a gated symbol's
# unmaterialized teacher_model partition as failed and would hold back everything downstream.
# teacher_labels and teacher_model share their runs, and the warehouse pool admits one writer,
# so the per-symbol predictions it compares against are those of the latest teacher_model run.
@dg.asset(
    deps=[dg.AssetDep(teacher_labels), dg.AssetDep(UNIVERSE_MEMBERSHIP_KEY)],
    pool=WAREHOUSE_POOL,
    metadata=TEACHER_UNIVERSE_RUNS.metadata(),
    group_name="teacher",
    **ownership("teacher"),
    kinds={"duckdb", "catboost"},
    code_version=DEPLOYED.universe_version(),
)
def teacher_universe_model(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    teacher: TeacherSettings,
    paths: ProjectPaths,
) -> dg.MaterializeResult:
    """One cross-sectional CatBoost model per walk-forward window on every symbol that passes the
    gate and has labels built with these settings, evaluated by per-date rank IC; shown beside
    the per-symbol models on the same evaluation rows, so a user can see which teaches better.
    Under the point_in_time universe rule (the default) each date holds only that date's members
    of the index (universe_membership), so no name is chosen by what happened after."""
    params = teacher.training_params()
    if problem := device_problem(params):
        _problems("teacher_universe_model", [problem])
    listings = load_listing_dates(paths.listings_file)
    known = load_known_days(paths.reference / SESSIONS_FILE)
    with warehouse.get_connection() as conn:
        symbols = [
            str(symbol)
            for (symbol,) in conn.execute(
                f"SELECT DISTINCT symbol FROM {TEACHER_LABELS.name} ORDER BY symbol"
            ).fetchall()
        ]
        passing = [s for s in symbols if not blocking_failures(conn, s, listings, reference=known)]
        labels, refused = stored_labels(conn, passing, teacher.label_settings())
        per_symbol = read_predictions(conn, "per_symbol", list(labels))
        spells = read_membership(conn, teacher.universe_index)
        bars = read_adjusted_bars(conn, list(labels)) if labels else pd.DataFrame()
    if not labels:
        raise dg.Failure(
            description="teacher_universe_model: no symbol has labels built with these settings "
            "and passing bars; materialize teacher_labels first."
            + "".join(f"\n{message}" for message in refused.values())
        )
    rows = _universe_rows(pd.concat(labels.values(), ignore_index=True), spells, teacher)
    with run_folders(paths.models, [UNIVERSE_OWNER], context.run_id) as folders:
        folder = folders[UNIVERSE_OWNER]
        result = train_universe(rows, params, folder, folder)
        with warehouse.get_connection() as conn:
            with transaction(conn):
                replace_rows(
                    conn,
                    TEACHER_UNIVERSE_RUNS.name,
                    "TRUE",
                    [],
                    TEACHER_UNIVERSE_RUNS.select(result.runs),
                )
                replace_rows(
                    conn,
                    TEACHER_PREDICTIONS.name,
                    "model = 'universe'",
                    [],
                    TEACHER_PREDICTIONS.select(result.predictions),
                )
            changes = {TEACHER_UNIVERSE_RUNS: [()], TEACHER_PREDICTIONS: [("universe",)]}
            publish_committed(conn, paths.snapshots_for(warehouse.local_file), changes, context.log)
            remove_unused(conn, paths.models, [UNIVERSE_OWNER])

    for message in refused.values():
        context.log.warning(f"left out of the universe model: {message}")
    report = pooled(result.predictions, teacher)
    same_symbol, same_universe = common_rows(per_symbol, result.predictions)
    comparison = comparison_markdown(pooled(same_symbol, teacher), pooled(same_universe, teacher))
    return dg.MaterializeResult(
        metadata={
            **_economics_metadata(result.predictions, bars, teacher),
            "universe_rule": teacher.universe_rule_text(),
            "symbols": int(rows["symbol"].nunique()),
            "symbols_never_members": ", ".join(sorted(set(labels) - set(rows["symbol"]))),
            "symbols_left_out": len(refused) + len(symbols) - len(passing),
            "dagster/row_count": len(result.runs),
            "pooled_auc_95ci": interval_text(report, "model", "roc_auc"),
            "rank_ic_mean_95ci": interval_text(report, "model", "rank_ic_mean"),
            "rank_ic_t_stat": headline(report, "model", "rank_ic_t"),
            "rank_ic_hit_rate": headline(report, "model", "rank_ic_hit_rate"),
            "models": dg.MetadataValue.path(str(folder)),
            "per_symbol_vs_universe": dg.MetadataValue.md(comparison),
            "report": dg.MetadataValue.md(
                f"Universe: {teacher.universe_rule_text()}\n\n"
                + universe_markdown(result.runs, result.predictions, report, params.min_names)
            ),
        }
    )


def _universe_rows(
    labels: pd.DataFrame, spells: pd.DataFrame, teacher: TeacherSettings
) -> pd.DataFrame:
    """The label rows the universe rule admits; a point-in-time universe with no membership, or
    with no labelled name a member on any date, fails naming what to do."""
    if teacher.universe_rule == "every_gated_name":
        return labels
    fix = (
        f"materialize universe_membership (reference_job) from dated lists of "
        f"{teacher.universe_index} (docs/operations.md), set the teacher's universe_index, or "
        "set universe_rule to every_gated_name"
    )
    if spells.empty:
        raise dg.Failure(
            description=f"teacher_universe_model: universe_membership holds no spells of index "
            f"{teacher.universe_index!r}; {fix}."
        )
    rows = point_in_time_rows(labels, spells)
    if rows.empty:
        raise dg.Failure(
            description=f"teacher_universe_model: none of the {labels['symbol'].nunique()} "
            f"labelled symbols was a member of {teacher.universe_index} on any labelled date; "
            f"{fix}."
        )
    return rows


def _economics_metadata(
    predictions: pd.DataFrame, bars: pd.DataFrame, teacher: TeacherSettings
) -> dict[str, object]:
    """The economic test of the universe model's out-of-sample scores: its figures as JSON
    (read back from the materialization as they are) and as a page with its chart."""
    if predictions.empty:
        return {"economics": "not run: no window was trained"}
    result = economic_test(
        predictions,
        bars,
        teacher.trading_costs(),
        quantile=teacher.book_quantile,
        holding=teacher.horizon,
        min_names=teacher.min_names,
    )
    return {
        "economics": dg.MetadataValue.json(economic_summary(result)),
        "economics_report": dg.MetadataValue.md(economics_markdown(result)),
    }
