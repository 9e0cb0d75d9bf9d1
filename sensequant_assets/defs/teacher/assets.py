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

from collections.abc import Iterator

import dagster as dg

from sensequant_assets.dagster_internals import (
    data_version,
    input_provenance,
    latest_records,
    reported_output,
    versioned_materialization,
)
from sensequant_assets.defs.keys import CORPORATE_ACTIONS, DAILY_BARS, UNIVERSE_MEMBERSHIP
from sensequant_assets.defs.owners import ownership
from sensequant_assets.defs.partitions import BATCHED_BACKFILL, BY_SYMBOL, symbols_partitions
from sensequant_assets.defs.resources import teacher_settings
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.quality.gate import blocking_failures
from sensequant_assets.teacher.features import get_feature_set
from sensequant_assets.teacher.flow import (
    bars_gate,
    build_labels,
    commit_labels,
    commit_models,
    commit_universe,
    plan_labels,
    plan_models,
    problems,
    read_universe_inputs,
    train_models,
    universe_rows,
)
from sensequant_assets.teacher.model_files import UNIVERSE_OWNER, remove_unused, run_folders
from sensequant_assets.teacher.outcomes import labels_outcomes, model_outcomes, universe_metadata
from sensequant_assets.teacher.recorded import as_metadata, recorded
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.teacher.training import device_problem, train_universe
from sensequant_assets.universe.partitions import checked_symbols
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource
from sensequant_assets.warehouse.snapshots import publish_committed
from sensequant_assets.warehouse.tables import (
    TEACHER_LABELS,
    TEACHER_RUNS,
    TEACHER_UNIVERSE_RUNS,
)

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
    columns = get_feature_set(teacher.feature_set).columns
    symbols = checked_symbols(context.partition_keys)
    provenance = input_provenance(context.instance, [DAILY_BARS, CORPORATE_ACTIONS])
    previous = recorded(latest_records(context.instance, context.asset_key, symbols), data_version)
    with warehouse.get_connection() as conn:
        gate = bars_gate(conn, paths, blocking_failures)
        plan = plan_labels(conn, symbols, gate, teacher.labels_version(), previous)
        labelled = build_labels(conn, plan.to_label, teacher)
        changes = commit_labels(conn, plan.gated, labelled, columns)
        publish_committed(conn, paths.snapshots_for(warehouse.local_file), changes, context.log)
    code_version = context.assets_def.code_versions_by_key[context.asset_key] or context.run_id
    for outcome in labels_outcomes(plan, labelled, context.run_id):
        if outcome.warning:
            context.log.warning(outcome.warning)
        metadata = as_metadata(outcome.metadata)
        yield versioned_materialization(
            context.asset_key, outcome.symbol, metadata, outcome.version, code_version, provenance
        )
    yield reported_output()


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
        raise dg.Failure(description=problems("teacher_model", [problem]))
    symbols = checked_symbols(context.partition_keys)
    provenance = input_provenance(context.instance, [teacher_labels.key])
    labels = latest_records(context.instance, teacher_labels.key, symbols)
    built_from = recorded(labels, data_version)
    previous = recorded(latest_records(context.instance, context.asset_key, symbols), data_version)
    with warehouse.get_connection() as conn:
        gate = bars_gate(conn, paths, blocking_failures)
        plan = plan_models(conn, symbols, gate, teacher, previous, paths.models)
    if plan.errors:
        raise dg.Failure(description=problems("teacher_model", plan.errors))
    with run_folders(paths.models, plan.retrain, context.run_id) as folders:
        trained, failed = train_models(plan.labels, params, folders, paths.models, context.run_id)
        if failed:
            raise dg.Failure(description=problems("teacher_model", failed))
        with warehouse.get_connection() as conn:
            changes = commit_models(conn, plan.dropped, trained)
            publish_committed(conn, paths.snapshots_for(warehouse.local_file), changes, context.log)
            remove_unused(conn, paths.models, [*plan.dropped, *trained])
    code_version = context.assets_def.code_versions_by_key[context.asset_key] or context.run_id
    for outcome in model_outcomes(plan, trained, built_from, teacher, paths.models, context.run_id):
        if outcome.warning:
            context.log.warning(outcome.warning)
        symbol, metadata, version = outcome.symbol, as_metadata(outcome.metadata), outcome.version
        yield (
            dg.AssetObservation(asset_key=context.asset_key, partition=symbol, metadata=metadata)
            if version is None
            else versioned_materialization(
                context.asset_key, symbol, metadata, version, code_version, provenance
            )
        )
    yield reported_output()


# It depends on the labels, not on teacher_model: a backfill counts a gated symbol's
# unmaterialized teacher_model partition as failed and would hold back everything downstream.
# teacher_labels and teacher_model share their runs, and the warehouse pool admits one writer,
# so the per-symbol predictions it compares against are those of the latest teacher_model run.
@dg.asset(
    deps=[dg.AssetDep(teacher_labels), dg.AssetDep(UNIVERSE_MEMBERSHIP)],
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
        raise dg.Failure(description=problems("teacher_universe_model", [problem]))
    with warehouse.get_connection() as conn:
        inputs = read_universe_inputs(conn, bars_gate(conn, paths, blocking_failures), teacher)
    rows, problem = universe_rows(inputs, teacher)
    if problem:
        raise dg.Failure(description=problem)
    with run_folders(paths.models, [UNIVERSE_OWNER], context.run_id) as folders:
        folder = folders[UNIVERSE_OWNER]
        result = train_universe(rows, params, folder, folder)
        with warehouse.get_connection() as conn:
            changes = commit_universe(conn, result)
            publish_committed(conn, paths.snapshots_for(warehouse.local_file), changes, context.log)
            remove_unused(conn, paths.models, [UNIVERSE_OWNER])
    for message in inputs.refused.values():
        context.log.warning(f"left out of the universe model: {message}")
    metadata = universe_metadata(inputs, rows, result, teacher, params, folder)
    return dg.MaterializeResult(metadata=as_metadata(metadata))
