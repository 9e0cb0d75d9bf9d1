"""What each teacher partition reports after a run, as plain metadata.

Values are plain: numbers, text, a dict (shown as JSON), a `Path` (shown as a path) and
`report.Markdown` (shown as a page); the asset hands them to Dagster as they are, turning only
`Markdown` into Dagster's markdown value. Entries a kept partition recorded before are passed
back untouched.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from sensequant_assets.teacher.economics import economic_summary, economic_test
from sensequant_assets.teacher.flow import (
    Labelled,
    LabelsPlan,
    ModelPlan,
    UniverseInputs,
    labels_run,
)
from sensequant_assets.teacher.labels import stored_settings
from sensequant_assets.teacher.metrics import common_rows
from sensequant_assets.teacher.model_files import run_folder
from sensequant_assets.teacher.recorded import (
    BARS_VERSIONS,
    FINGERPRINT,
    GATED,
    LABELS_RUN,
    LAST_SESSION,
    MODEL_RUN,
    ROW_COUNT,
    UNCHANGED,
    Recorded,
)
from sensequant_assets.teacher.report import (
    Markdown,
    comparison_markdown,
    economics_markdown,
    headline,
    interval_text,
    labels_markdown,
    model_markdown,
    pooled,
    universe_markdown,
)
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.teacher.training import TrainingParams, TrainingResult
from sensequant_assets.warehouse.versions import combine_versions

NO_WINDOW = "no window: history shorter than warm-up + window"


class Outcome(NamedTuple):
    """One partition's report: materialized with `version`, or observed only (None: nothing was
    built, so the UI never shows it green), and a warning for the run's log ("" for none)."""

    symbol: str
    metadata: dict[str, object]
    version: str | None
    warning: str = ""


def gated_metadata(failures: list[str]) -> dict[str, object]:
    return {
        "status": GATED,
        "reason": Markdown(
            "Not built: its bars failed blocking checks; fix what they name and re-materialize.\n"
            + "\n".join(f"- {message}" for message in failures)
        ),
    }


# --- labels -------------------------------------------------------------------------------


def sessions_span(bars: pd.DataFrame) -> dict[str, str]:
    """The first and last session of `bars`; none for a symbol without a session in its years."""
    if bars.empty:
        return {}
    return {
        "first_session": bars["date"].min().date().isoformat(),
        LAST_SESSION: bars["date"].max().date().isoformat(),
    }


def labels_metadata(bars: pd.DataFrame, rows: pd.DataFrame) -> dict[str, object]:
    labelled = rows["label"].dropna()
    return {
        "status": "labelled" if len(rows) else NO_WINDOW,
        ROW_COUNT: len(rows),
        "windows": int(rows["window_index"].nunique()),
        "sessions": len(bars),
        **sessions_span(bars),
        "labelled_rows": len(labelled),
        "up_share_of_labelled": float(labelled.mean()) if len(labelled) else float("nan"),
        "settings": stored_settings(rows) if len(rows) else "",
        "windows_table": Markdown(labels_markdown(rows)),
    }


def labels_outcomes(
    plan: LabelsPlan, labelled: Mapping[str, Labelled], run_id: str
) -> list[Outcome]:
    """Every symbol of a labels run: gated (no rows, a version of its failures), unchanged (its
    recorded metadata again, its version unchanged) and labelled (naming this run)."""
    outcomes = [
        Outcome(
            symbol,
            {**gated_metadata(failures), ROW_COUNT: 0},
            combine_versions([GATED, *failures]),
            f"teacher_labels[{symbol}] gated: {'; '.join(failures)}",
        )
        for symbol, failures in plan.gated.items()
    ]
    for symbol, record in plan.unchanged.items():
        reason = (
            f"bars, corporate actions and settings unchanged since run {labels_run(record)}: "
            "its rows are kept"
        )
        metadata = {**record.metadata, "status": UNCHANGED, "reason": reason}
        outcomes.append(Outcome(symbol, metadata, plan.inputs[symbol].version))
    for symbol, (bars, rows) in labelled.items():
        bars_seen, version = plan.inputs[symbol]
        metadata = {**labels_metadata(bars, rows), BARS_VERSIONS: bars_seen, LABELS_RUN: run_id}
        outcomes.append(Outcome(symbol, metadata, version))
    return outcomes


# --- per-symbol models --------------------------------------------------------------------


def trained_on(labels: Recorded | None) -> dict[str, object]:
    """What the labels a model is trained from were built from, as their materialization says:
    the bars partitions' data versions and the last session."""
    metadata = labels.metadata if labels else {}
    return {key: metadata[key] for key in (BARS_VERSIONS, LAST_SESSION) if key in metadata}


def model_metadata(
    symbol: str, result: TrainingResult, report: pd.DataFrame, models_root: Path
) -> dict[str, object]:
    counts = result.runs["status"].value_counts()
    return {
        "status": "trained" if counts.get("trained", 0) else "nothing trained",
        ROW_COUNT: len(result.runs),
        "windows_trained": int(counts.get("trained", 0)),
        "windows_skipped": int(counts.get("skipped", 0)),
        "pooled_auc": headline(report, "model", "roc_auc"),
        "pooled_auc_95ci": interval_text(report, "model", "roc_auc"),
        "pooled_brier_skill": headline(report, "model", "brier_skill"),
        "momentum_auc": headline(report, "momentum", "roc_auc"),
        "placebo_auc": headline(report, "placebo", "roc_auc"),
        "evaluation_rows": len(result.predictions),
        "models": Path(models_root) / symbol,
        "report": Markdown(model_markdown(symbol, result.runs, report, result.predictions)),
    }


def model_outcomes(
    plan: ModelPlan,
    trained: Mapping[str, TrainingResult],
    built_from: Mapping[str, Recorded],
    teacher: TeacherSettings,
    models_root: Path,
    run_id: str,
) -> list[Outcome]:
    """Every symbol of a model run: gated and too short are observed only (never materialized,
    never green); unchanged names the run whose model is kept; trained names this run. Each
    materialization's version is the fingerprint of the labels and settings it was trained on."""
    outcomes = [
        Outcome(
            symbol,
            gated_metadata(failures),
            None,
            f"teacher_model[{symbol}] not trained (gated): {'; '.join(failures)}",
        )
        for symbol, failures in plan.gated.items()
    ]
    outcomes += [
        Outcome(symbol, {"status": "not trained", "reason": NO_WINDOW}, None)
        for symbol in plan.too_short
    ]
    for symbol, kept_run in plan.unchanged.items():
        metadata = {
            "status": UNCHANGED,
            "reason": f"labels and settings unchanged since run {kept_run}: its model is kept",
            "models": run_folder(models_root, symbol, kept_run),
            **trained_on(built_from.get(symbol)),
            FINGERPRINT: plan.fingerprints[symbol],
            MODEL_RUN: kept_run,
        }
        outcomes.append(Outcome(symbol, metadata, plan.fingerprints[symbol]))
    for symbol, result in trained.items():
        report = pooled(result.predictions, teacher)
        metadata = {
            **model_metadata(symbol, result, report, models_root),
            **trained_on(built_from.get(symbol)),
            FINGERPRINT: plan.fingerprints[symbol],
            MODEL_RUN: run_id,
        }
        outcomes.append(Outcome(symbol, metadata, plan.fingerprints[symbol]))
    return outcomes


# --- the universe model -------------------------------------------------------------------


def economics_metadata(
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
        "economics": economic_summary(result),
        "economics_report": Markdown(economics_markdown(result)),
    }


def universe_metadata(
    inputs: UniverseInputs,
    rows: pd.DataFrame,
    result: TrainingResult,
    teacher: TeacherSettings,
    params: TrainingParams,
    folder: Path,
) -> dict[str, object]:
    """The universe model's report, shown beside the per-symbol models on the same rows."""
    report = pooled(result.predictions, teacher)
    same_symbol, same_universe = common_rows(inputs.per_symbol, result.predictions)
    comparison = comparison_markdown(pooled(same_symbol, teacher), pooled(same_universe, teacher))
    return {
        **economics_metadata(result.predictions, inputs.bars, teacher),
        "universe_rule": teacher.universe_rule_text(),
        "symbols": int(rows["symbol"].nunique()),
        "symbols_never_members": ", ".join(sorted(set(inputs.labels) - set(rows["symbol"]))),
        "symbols_left_out": inputs.left_out,
        ROW_COUNT: len(result.runs),
        "pooled_auc_95ci": interval_text(report, "model", "roc_auc"),
        "rank_ic_mean_95ci": interval_text(report, "model", "rank_ic_mean"),
        "rank_ic_t_stat": headline(report, "model", "rank_ic_t"),
        "rank_ic_hit_rate": headline(report, "model", "rank_ic_hit_rate"),
        "models": Path(folder),
        "per_symbol_vs_universe": Markdown(comparison),
        "report": Markdown(
            f"Universe: {teacher.universe_rule_text()}\n\n"
            + universe_markdown(result.runs, result.predictions, report, params.min_names)
        ),
    }
