"""The teacher's runs as steps: plan, build or train, commit; the assets wire resources to them.

Each step takes plain inputs (a warehouse connection, the teacher's settings, what the latest
materializations recorded as `Recorded`) and returns plain results, so the flow reads and is
tested without Dagster:

- a plan says which symbols are gated (their bars fail a blocking check), too short (no window
  fits their history), unchanged (rebuilding would reproduce what is stored) and which are to be
  built, and what problems stop the run before it stores anything;
- a training step trains into this run's own model folders (`model_files.run_folders`) and
  removes them again if any window failed, so a failed run stores nothing;
- a commit step replaces the rows of every planned symbol in one transaction and returns the
  slices it replaced, for `publish_committed`;
- the clean-up is `model_files.remove_unused`, called after the commit on the same connection.
"""

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

import duckdb
import pandas as pd

from sensequant_assets.paths import ProjectPaths
from sensequant_assets.teacher.labels import (
    label_table,
    labels_fingerprint,
    stored_labels,
    stored_sessions,
)
from sensequant_assets.teacher.model_files import discard, run_folder
from sensequant_assets.teacher.recorded import (
    FINGERPRINT,
    LABELS_RUN,
    MODEL_RUN,
    ROW_COUNT,
    Recorded,
)
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.teacher.training import (
    TrainingParams,
    TrainingResult,
    point_in_time_rows,
    train_windows,
)
from sensequant_assets.universe.partitions import symbol_year_key
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days, load_listing_dates
from sensequant_assets.warehouse.corporate_actions import read_adjusted_bars
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
    Table,
)
from sensequant_assets.warehouse.versions import (
    bar_versions,
    combine_versions,
    corporate_action_versions,
)

Gate = Callable[[list[str]], dict[str, list[str]]]
"""The symbols whose bars fail a blocking check, each with its failures; asked once a run."""
Changes = dict[Table, list[tuple[str, ...]]]
"""The slices a commit replaced, as `publish_committed` takes them."""
Labelled = tuple[pd.DataFrame, pd.DataFrame]
"""A symbol's adjusted bars and the label rows built from them."""


def problems(asset: str, errors: Iterable[str]) -> str:
    """Why a run stored nothing, one line per problem, each saying what to do."""
    lines = list(errors)
    return "\n".join(
        [f"{asset}: {len(lines)} problem(s); nothing from this run was stored.", *lines]
    )


def bars_gate(
    conn: duckdb.DuckDBPyConnection,
    paths: ProjectPaths,
    blocking_failures: Callable[..., dict[str, list[str]]],
) -> Gate:
    """The quality gate on the connection: `blocking_failures` (quality.gate's, passed in by
    the asset, where the tests stand in for it) with the listings and the known sessions of the
    reference folder."""
    listings = load_listing_dates(paths.listings_file)
    known = load_known_days(paths.reference / SESSIONS_FILE)

    def gate(symbols: list[str]) -> dict[str, list[str]]:
        judged = blocking_failures(conn, symbols, listings, reference=known)
        return {symbol: failures for symbol, failures in judged.items() if failures}

    return gate


# --- labels -------------------------------------------------------------------------------


class LabelInputs(NamedTuple):
    """What a symbol's labels are built from: its bars partitions' data versions, and the
    version that they, its corporate actions and the label settings give its labels."""

    bars: dict[str, str]
    version: str


class LabelsPlan(NamedTuple):
    """What a labels run does with each symbol: gated ones lose their rows, unchanged ones keep
    them (with the materialization that recorded them), the rest are labelled."""

    gated: dict[str, list[str]]
    unchanged: dict[str, Recorded]
    inputs: dict[str, LabelInputs]

    @property
    def to_label(self) -> list[str]:
        return [symbol for symbol in self.inputs if symbol not in self.unchanged]


def label_inputs(
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


def unchanged_labels(
    previous: Mapping[str, Recorded],
    inputs: Mapping[str, LabelInputs],
    stored_rows: Mapping[str, int],
) -> dict[str, Recorded]:
    """The symbols whose latest labels were built from exactly these inputs and whose rows are
    still all stored, each with that materialization."""
    unchanged = {}
    for symbol, (_, version) in inputs.items():
        record = previous.get(symbol)
        if record is None:
            continue
        recorded_rows = record.value(ROW_COUNT)
        if (
            record.version == version
            and recorded_rows is not None
            and recorded_rows == stored_rows[symbol]
        ):
            unchanged[symbol] = record
    return unchanged


def plan_labels(
    conn: duckdb.DuckDBPyConnection,
    symbols: list[str],
    gate: Gate,
    labels_version: str,
    previous: Mapping[str, Recorded],
) -> LabelsPlan:
    blocked = gate(symbols)
    usable = [symbol for symbol in symbols if symbol not in blocked]
    inputs = label_inputs(conn, usable, labels_version)
    unchanged = unchanged_labels(previous, inputs, label_row_counts(conn, usable))
    return LabelsPlan(blocked, unchanged, inputs)


def build_labels(
    conn: duckdb.DuckDBPyConnection, symbols: list[str], teacher: TeacherSettings
) -> dict[str, Labelled]:
    """Each symbol's label rows from its adjusted bars. A symbol without bars here passed the
    gate, which refuses one whose bars were never materialized: its partitions hold no session
    (listed after them, or ended before), so it labels nothing, as a short history does."""
    spec, windows = teacher.label_spec(), teacher.window_spec()
    labelled: dict[str, Labelled] = {}
    for symbol in symbols:
        bars = read_adjusted_bars(conn, [symbol])
        labelled[symbol] = (bars, label_table(symbol, bars, spec, windows, teacher.feature_set))
    return labelled


def commit_labels(
    conn: duckdb.DuckDBPyConnection,
    dropped: Iterable[str],
    labelled: Mapping[str, Labelled],
    feature_columns: tuple[str, ...],
) -> Changes:
    """Remove the rows of `dropped` symbols and replace those of `labelled`, all or none."""
    dropped = list(dropped)
    with transaction(conn):
        for symbol in dropped:
            replace_rows(conn, TEACHER_LABELS.name, "symbol = ?", [symbol], pd.DataFrame())
        for symbol, (_, rows) in labelled.items():
            packed = TEACHER_LABELS.select(pack_features(rows, feature_columns))
            replace_rows(conn, TEACHER_LABELS.name, "symbol = ?", [symbol], packed)
    return {TEACHER_LABELS: [(symbol,) for symbol in [*dropped, *labelled]]}


def labels_run(record: Recorded) -> str:
    """The run whose label rows a kept partition names."""
    kept = record.value(LABELS_RUN)
    return str(kept) if kept is not None else record.run_id


# --- per-symbol models --------------------------------------------------------------------


class ModelPlan(NamedTuple):
    """What a model run does with each symbol. Gated and too-short symbols lose their results;
    unchanged ones keep the model of the run named; the rest are retrained from `labels`. A plan
    with `errors` trains nothing."""

    gated: dict[str, list[str]]
    too_short: list[str]
    labels: dict[str, pd.DataFrame]
    fingerprints: dict[str, str]
    unchanged: dict[str, str]
    errors: list[str]

    @property
    def retrain(self) -> list[str]:
        return [symbol for symbol in self.labels if symbol not in self.unchanged]

    @property
    def dropped(self) -> list[str]:
        return [*self.gated, *self.too_short]


def too_short(conn: duckdb.DuckDBPyConnection, symbol: str, teacher: TeacherSettings) -> bool:
    """Whether the symbol's bars yield no window at all, which is a skip, not a failure: a
    short history, or none in the years materialized (listed after them or ended before; the
    gate refuses a symbol whose bars were never materialized)."""
    bars = read_adjusted_bars(conn, [symbol])
    spec, windows = teacher.label_spec(), teacher.window_spec()
    return label_table(symbol, bars, spec, windows, teacher.feature_set).empty


def trained_from(
    previous: Mapping[str, Recorded], fingerprints: Mapping[str, str], models_root: Path
) -> dict[str, str]:
    """The symbols whose latest model was trained from exactly these labels and settings, and
    whose model files are still in place (a gated run removed them), each with the run that
    trained it: retraining would reproduce what is stored, so a refresh that changed no bar
    retrains nothing."""
    kept = {}
    for symbol, fingerprint in fingerprints.items():
        record = previous.get(symbol)
        if record is None:
            continue
        stored, model_run = record.value(FINGERPRINT), record.value(MODEL_RUN)
        if stored is not None and model_run is not None and stored == fingerprint:
            kept[symbol] = str(model_run)
    return {
        symbol: run_id
        for symbol, run_id in kept.items()
        if run_folder(models_root, symbol, run_id).is_dir()
    }


def plan_models(
    conn: duckdb.DuckDBPyConnection,
    symbols: list[str],
    gate: Gate,
    teacher: TeacherSettings,
    previous: Mapping[str, Recorded],
    models_root: Path,
) -> ModelPlan:
    """Gate each symbol, read its labels (refusing rows that other settings built), tell a
    history too short for any window from labels never built, and keep every model whose
    labels and settings are unchanged."""
    blocked = gate(symbols)
    usable = [symbol for symbol in symbols if symbol not in blocked]
    labels, refused = stored_labels(conn, usable, teacher.label_settings())
    errors, short = list(refused.values()), []
    for symbol in usable:
        if symbol in labels or symbol in refused:
            continue
        if too_short(conn, symbol, teacher):
            short.append(symbol)
        else:
            errors.append(
                f"teacher_model[{symbol}]: teacher_labels holds no rows for {symbol}; "
                f"materialize daily_bars and teacher_labels for {symbol} first."
            )
    if errors:
        return ModelPlan(blocked, short, {}, {}, {}, errors)
    version = teacher.model_version()
    fingerprints = {symbol: labels_fingerprint(rows, version) for symbol, rows in labels.items()}
    unchanged = trained_from(previous, fingerprints, models_root)
    return ModelPlan(blocked, short, labels, fingerprints, unchanged, [])


def train_models(
    labels: Mapping[str, pd.DataFrame],
    params: TrainingParams,
    folders: Mapping[str, Path],
    models_root: Path,
    run_id: str,
) -> tuple[dict[str, TrainingResult], list[str]]:
    """Train each symbol into its folder of this run; where any window failed, remove every
    folder of this run again and return the failures (the run then stores nothing)."""
    trained = {
        symbol: train_windows(symbol, labels[symbol], params, folder, folder)
        for symbol, folder in folders.items()
    }
    failed = [
        f"teacher_model[{symbol}] window {run.window_index}: {run.reason}"
        for symbol, result in trained.items()
        for run in result.runs[result.runs["status"] == "failed"].itertuples()
    ]
    if failed:
        for symbol in folders:
            discard(models_root, symbol, run_id)
    return trained, failed


def replace_symbol_results(
    conn: duckdb.DuckDBPyConnection, symbol: str, result: TrainingResult | None
) -> None:
    """Replace a symbol's run and per-symbol prediction rows (remove them where no result)."""
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


def commit_models(
    conn: duckdb.DuckDBPyConnection,
    dropped: Iterable[str],
    trained: Mapping[str, TrainingResult],
) -> Changes:
    """Remove the results of `dropped` symbols and store those of `trained`, all or none."""
    dropped = list(dropped)
    with transaction(conn):
        for symbol in dropped:
            replace_symbol_results(conn, symbol, None)
        for symbol, result in trained.items():
            replace_symbol_results(conn, symbol, result)
    replaced = [("per_symbol", symbol) for symbol in [*dropped, *trained]]
    return {TEACHER_RUNS: [()], TEACHER_PREDICTIONS: replaced}


# --- the universe model -------------------------------------------------------------------


class UniverseInputs(NamedTuple):
    """What the universe model is trained and compared on: every labelled symbol, those that
    pass the gate, their labels, one row a session (refused ones apart, each with why), the
    per-symbol predictions on them, the index membership spells and their adjusted bars."""

    symbols: list[str]
    passing: list[str]
    labels: dict[str, pd.DataFrame]
    refused: dict[str, str]
    per_symbol: pd.DataFrame
    spells: pd.DataFrame
    bars: pd.DataFrame

    @property
    def left_out(self) -> int:
        return len(self.refused) + len(self.symbols) - len(self.passing)


def read_universe_inputs(
    conn: duckdb.DuckDBPyConnection, gate: Gate, teacher: TeacherSettings
) -> UniverseInputs:
    symbols = [
        str(symbol)
        for (symbol,) in conn.execute(
            f"SELECT DISTINCT symbol FROM {TEACHER_LABELS.name} ORDER BY symbol"
        ).fetchall()
    ]
    blocked = gate(symbols)
    passing = [symbol for symbol in symbols if symbol not in blocked]
    labels, refused = stored_sessions(conn, passing, teacher.label_settings())
    per_symbol = read_predictions(conn, "per_symbol", list(labels))
    spells = read_membership(conn, teacher.universe_index)
    bars = read_adjusted_bars(conn, list(labels)) if labels else pd.DataFrame()
    return UniverseInputs(symbols, passing, labels, refused, per_symbol, spells, bars)


def universe_rows(inputs: UniverseInputs, teacher: TeacherSettings) -> tuple[pd.DataFrame, str]:
    """The label rows the universe rule admits and "", or no rows and why, saying what to do: no
    labels built with these settings, or a point-in-time universe with no membership or with
    no labelled name a member on any date."""
    if not inputs.labels:
        return pd.DataFrame(), (
            "teacher_universe_model: no symbol has labels built with these settings "
            "and passing bars; materialize teacher_labels first."
            + "".join(f"\n{message}" for message in inputs.refused.values())
        )
    labels = pd.concat(inputs.labels.values(), ignore_index=True)
    if teacher.universe_rule == "every_gated_name":
        return labels, ""
    fix = (
        f"materialize universe_membership (reference_job) from dated lists of "
        f"{teacher.universe_index} (docs/operations.md), set the teacher's universe_index, or "
        "set universe_rule to every_gated_name"
    )
    if inputs.spells.empty:
        return pd.DataFrame(), (
            f"teacher_universe_model: universe_membership holds no spells of index "
            f"{teacher.universe_index!r}; {fix}."
        )
    rows = point_in_time_rows(labels, inputs.spells)
    if rows.empty:
        return rows, (
            f"teacher_universe_model: none of the {labels['symbol'].nunique()} "
            f"labelled symbols was a member of {teacher.universe_index} on any labelled date; "
            f"{fix}."
        )
    return rows, ""


def commit_universe(conn: duckdb.DuckDBPyConnection, result: TrainingResult) -> Changes:
    """Replace every universe run and universe prediction, all or none."""
    with transaction(conn):
        runs = TEACHER_UNIVERSE_RUNS.select(result.runs)
        replace_rows(conn, TEACHER_UNIVERSE_RUNS.name, "TRUE", [], runs)
        predictions = TEACHER_PREDICTIONS.select(result.predictions)
        replace_rows(conn, TEACHER_PREDICTIONS.name, "model = 'universe'", [], predictions)
    return {TEACHER_UNIVERSE_RUNS: [()], TEACHER_PREDICTIONS: [("universe",)]}
