"""The teacher's steps without Dagster: what a labels run and a model run plan for each symbol
(gated, too short, unchanged, to build), a train-commit-clean-up pass, the universe's rows, and
the freshness verdicts read from recorded metadata.

Real parts: a DuckDB warehouse with synthetic bars on the NSE sessions, model folders on disk,
CatBoost training a few small windows.
"""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import dagster as dg
import duckdb
import pandas as pd
import pytest

from sensequant_assets.teacher.features import get_feature_set
from sensequant_assets.teacher.flow import (
    build_labels,
    commit_labels,
    commit_models,
    plan_labels,
    plan_models,
    problems,
    read_universe_inputs,
    train_models,
    universe_rows,
)
from sensequant_assets.teacher.labels import stored_labels
from sensequant_assets.teacher.model_files import remove_unused, run_folder, run_folders
from sensequant_assets.teacher.outcomes import NO_WINDOW, labels_outcomes, model_outcomes
from sensequant_assets.teacher.recorded import (
    BARS_VERSIONS,
    FINGERPRINT,
    LAST_SESSION,
    MODEL_RUN,
    ROW_COUNT,
    UNCHANGED,
    Recorded,
    as_metadata,
    bars_keys,
    model_verdicts,
)
from sensequant_assets.teacher.report import Markdown
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import replace_bars, transaction
from sensequant_assets_tests.teacher.factories import YEARS, random_walk_bars

SETTINGS = TeacherSettings(iterations=30, depth=3)
BLOCKED = "coverage_check failed for BBB|2023: 3 missing sessions"
FULL = ["AAA", "BBB", "CCC"]  # three years of bars each
SHORT = "NEW"  # listed in the last weeks: no window fits
UNLISTED = "LATER"  # listed after the years materialized: its partitions hold no rows


class Entry(NamedTuple):
    """A recorded metadata entry, as the flow reads one (its `.value`)."""

    value: object


def gate(symbols: list[str]) -> dict[str, list[str]]:
    return {symbol: [BLOCKED] for symbol in symbols if symbol == "BBB"}


@pytest.fixture
def conn(warehouse: WarehouseResource) -> Iterator[duckdb.DuckDBPyConnection]:
    with warehouse.get_connection() as conn:
        with transaction(conn):
            for seed, symbol in enumerate(FULL):
                bars = random_walk_bars(symbol, seed)
                for year in YEARS:
                    replace_bars(conn, symbol, year, bars[bars["date"].dt.year == year])
            recent = random_walk_bars(SHORT, 9).tail(40)
            replace_bars(conn, SHORT, YEARS[-1], recent)
            for year in YEARS:
                replace_bars(conn, UNLISTED, year, recent.iloc[0:0])
        yield conn


def label(conn: duckdb.DuckDBPyConnection, symbols: list[str]) -> dict[str, int]:
    """Build and commit the labels of `symbols`, as a labels run does; rows stored per symbol."""
    plan = plan_labels(conn, symbols, gate, SETTINGS.labels_version(), {})
    labelled = build_labels(conn, plan.to_label, SETTINGS)
    commit_labels(conn, plan.gated, labelled, get_feature_set(SETTINGS.feature_set).columns)
    return {symbol: len(rows) for symbol, (_, rows) in labelled.items()}


def test_the_labels_plan_gates_a_symbol_and_labels_the_others(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    plan = plan_labels(conn, ["AAA", "BBB", SHORT], gate, SETTINGS.labels_version(), {})
    assert plan.gated == {"BBB": [BLOCKED]}
    assert plan.unchanged == {}
    assert plan.to_label == ["AAA", SHORT]
    assert set(plan.inputs["AAA"].bars) == {f"AAA|{year}" for year in YEARS}

    labelled = build_labels(conn, plan.to_label, SETTINGS)
    assert labelled["AAA"][1]["window_index"].nunique() > 1
    assert labelled[SHORT][1].empty, "a history shorter than one window labels nothing"


def test_a_symbol_with_no_sessions_in_its_years_labels_nothing_and_fails_no_other(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """A name listed after the years materialized (or ended before them) has partitions that
    hold no rows and pass coverage, since no session was expected: it is the shortest history,
    not an error, for its labels and its model. Each used to fail its whole run, so one such
    name in a batch of a hundred left all hundred without labels, then without models (found
    at NIFTY 500 scale, where listings are spread out)."""
    plan = plan_labels(conn, ["AAA", UNLISTED], gate, SETTINGS.labels_version(), {})
    assert plan.to_label == ["AAA", UNLISTED]
    labelled = build_labels(conn, plan.to_label, SETTINGS)
    assert labelled[UNLISTED][0].empty and labelled[UNLISTED][1].empty
    assert labelled["AAA"][1]["window_index"].nunique() > 1
    stored = label(conn, ["AAA", UNLISTED])
    assert stored[UNLISTED] == 0 and stored["AAA"] > 0
    models = plan_models(conn, ["AAA", UNLISTED], gate, SETTINGS, {}, tmp_path / "models")
    assert models.errors == [] and models.too_short == [UNLISTED]
    assert models.retrain == ["AAA"]
    outcomes = {o.symbol: o for o in labels_outcomes(plan, labelled, "run-1")}
    assert outcomes[UNLISTED].metadata["status"] == NO_WINDOW
    assert outcomes[UNLISTED].metadata["sessions"] == 0 and not outcomes[UNLISTED].warning
    assert LAST_SESSION not in outcomes[UNLISTED].metadata


def test_labels_built_from_unchanged_inputs_are_kept_and_any_change_rebuilds_them(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    stored = label(conn, ["AAA"])
    version = plan_labels(conn, ["AAA"], gate, SETTINGS.labels_version(), {}).inputs["AAA"].version
    same = Recorded("run-1", version, 0.0, {ROW_COUNT: Entry(stored["AAA"])})
    plan = plan_labels(conn, ["AAA"], gate, SETTINGS.labels_version(), {"AAA": same})
    assert plan.unchanged == {"AAA": same} and plan.to_label == []

    (outcome,) = labels_outcomes(plan, {}, "run-2")
    assert outcome.version == version, "a kept partition keeps its data version"
    assert outcome.metadata["status"] == UNCHANGED
    assert "unchanged since run run-1" in str(outcome.metadata["reason"])

    other_settings = TeacherSettings(horizon=10).labels_version()
    assert plan_labels(conn, ["AAA"], gate, other_settings, {"AAA": same}).to_label == ["AAA"]
    rows_lost = same._replace(metadata={ROW_COUNT: Entry(stored["AAA"] + 1)})
    assert plan_labels(conn, ["AAA"], gate, SETTINGS.labels_version(), {"AAA": rows_lost}).to_label
    with transaction(conn):  # a corrected bar: another data version of AAA|2024
        bars = random_walk_bars("AAA", 0)
        corrected = bars[bars["date"].dt.year == YEARS[-1]].assign(volume=1)
        replace_bars(conn, "AAA", YEARS[-1], corrected)
    assert plan_labels(conn, ["AAA"], gate, SETTINGS.labels_version(), {"AAA": same}).to_label


def test_the_model_plan_tells_gated_too_short_unchanged_and_to_train(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    label(conn, ["AAA", "CCC", SHORT])
    models = tmp_path / "models"
    symbols = ["AAA", "BBB", "CCC", SHORT]
    plan = plan_models(conn, symbols, gate, SETTINGS, {}, models)
    assert plan.errors == []
    assert plan.gated == {"BBB": [BLOCKED]}
    assert plan.too_short == [SHORT]
    assert plan.dropped == ["BBB", SHORT]
    assert plan.unchanged == {} and plan.retrain == ["AAA", "CCC"]

    trained_before = Recorded(
        "run-1",
        plan.fingerprints["AAA"],
        0.0,
        {FINGERPRINT: Entry(plan.fingerprints["AAA"]), MODEL_RUN: Entry("run-1")},
    )
    previous = {"AAA": trained_before}
    assert plan_models(conn, symbols, gate, SETTINGS, previous, models).retrain == ["AAA", "CCC"], (
        "a model whose files are gone is retrained"
    )
    run_folder(models, "AAA", "run-1").mkdir(parents=True)
    kept = plan_models(conn, symbols, gate, SETTINGS, previous, models)
    assert kept.unchanged == {"AAA": "run-1"} and kept.retrain == ["CCC"]
    reseeded = TeacherSettings(iterations=30, depth=3, seed=7)
    assert plan_models(conn, symbols, gate, reseeded, previous, models).retrain == ["AAA", "CCC"]

    outcomes = model_outcomes(kept, {}, {}, SETTINGS, models, "run-2")
    assert [(o.symbol, o.version is None) for o in outcomes] == [
        ("BBB", True),
        (SHORT, True),
        ("AAA", False),
    ], "gated and too-short symbols are observed, never materialized"
    assert outcomes[0].warning == f"teacher_model[BBB] not trained (gated): {BLOCKED}"
    assert outcomes[1].metadata["reason"] == NO_WINDOW
    assert outcomes[2].metadata[MODEL_RUN] == "run-1"
    assert outcomes[2].metadata["models"] == run_folder(models, "AAA", "run-1")


def test_a_symbol_with_bars_but_no_labels_stops_the_plan_naming_what_to_materialize(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    label(conn, ["AAA"])
    plan = plan_models(conn, ["AAA", "CCC"], gate, SETTINGS, {}, tmp_path / "models")
    assert plan.errors == [
        "teacher_model[CCC]: teacher_labels holds no rows for CCC; "
        "materialize daily_bars and teacher_labels for CCC first."
    ]
    assert plan.retrain == [], "a plan with problems trains nothing"
    assert problems("teacher_model", plan.errors).startswith(
        "teacher_model: 1 problem(s); nothing from this run was stored.\nteacher_model[CCC]"
    )


def test_a_run_trains_commits_and_cleans_up_the_previous_runs_models(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    label(conn, ["AAA"])
    models = tmp_path / "models"
    folders_of = {}
    for run_id, settings in (
        ("run-1", SETTINGS),
        ("run-2", TeacherSettings(iterations=30, depth=3, seed=7)),
    ):
        plan = plan_models(conn, ["AAA", "BBB"], gate, settings, {}, models)
        with run_folders(models, plan.retrain, run_id) as folders:
            trained, failed = train_models(
                plan.labels, settings.training_params(), folders, models, run_id
            )
            assert failed == []
            changes = commit_models(conn, plan.dropped, trained)
            removed = remove_unused(conn, models, [*plan.dropped, *trained])
        folders_of[run_id] = folders["AAA"]
    assert changes[next(iter(changes))] == [()]
    assert removed == [folders_of["run-1"]], "the clean-up removes the run no row names"
    paths = conn.execute("SELECT model_path FROM teacher_runs WHERE status = 'trained'").fetchall()
    assert paths and all(Path(path).is_file() for (path,) in paths)
    assert {Path(path).parent for (path,) in paths} == {folders_of["run-2"]}


def test_the_universe_rows_or_why_there_are_none(conn: duckdb.DuckDBPyConnection) -> None:
    empty = read_universe_inputs(conn, gate, SETTINGS)
    rows, problem = universe_rows(empty, SETTINGS)
    assert rows.empty and "no symbol has labels built with these settings" in problem

    label(conn, ["AAA", "BBB"])
    inputs = read_universe_inputs(conn, gate, SETTINGS)
    assert inputs.symbols == ["AAA"] and inputs.passing == ["AAA"] and inputs.left_out == 0
    rows, problem = universe_rows(inputs, SETTINGS)
    assert rows.empty and f"holds no spells of index {SETTINGS.universe_index!r}" in problem
    every = TeacherSettings(universe_rule="every_gated_name")
    rows, problem = universe_rows(inputs, every)
    assert problem == "" and set(rows["symbol"]) == {"AAA"}


def test_the_universe_reads_each_session_once_as_its_trainer_pooled_them(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    """One row a symbol and session, the same rows `train_universe` kept of every window's rows
    (its first window's), so the universe model is the model it was, from a fifth of the
    memory at the default windows."""
    label(conn, ["AAA", "BBB"])
    every = TeacherSettings(universe_rule="every_gated_name")
    windows, _ = stored_labels(conn, ["AAA"], every.label_settings())
    sessions = read_universe_inputs(conn, gate, every).labels
    assert set(sessions) == {"AAA"} and windows["AAA"]["window_index"].nunique() > 1
    pooled = windows["AAA"].drop_duplicates(["symbol", "date"], ignore_index=True)
    assert len(pooled) * 2 < len(windows["AAA"])
    pd.testing.assert_frame_equal(sessions["AAA"], pooled)


def test_the_freshness_verdicts_read_the_recorded_metadata() -> None:
    cutoff = dt.datetime(2024, 7, 2, 3, 30, tzinfo=dt.UTC)
    before = (cutoff - dt.timedelta(hours=12)).timestamp()
    keys = bars_keys(["AAA", "BBB"], ["2024"])
    bars = {
        "AAA|2024": Recorded("r", "v2", before, {"last_date": Entry("2024-07-01")}),
        "BBB|2024": Recorded("r", "v1", before, {}),
    }
    models = {
        symbol: Recorded(
            "r",
            "f",
            0.0,
            {BARS_VERSIONS: Entry({f"{symbol}|2024": "v1"}), LAST_SESSION: Entry("x")},
        )
        for symbol in ("AAA", "BBB")
    }
    labels = {"BBB": Recorded("r", "g", 0.0, {"status": Entry("gated")})}
    verdicts, gated = model_verdicts(models, labels, bars, keys, cutoff)
    assert gated == ["BBB"], "a gated symbol is left to the checks that gate it"
    (verdict,) = verdicts
    assert verdict.symbol == "AAA" and verdict.lacking == ["AAA|2024"] and verdict.holds == "x"


def test_a_markdown_value_reaches_dagster_as_a_page_and_the_rest_as_it_is() -> None:
    shown = as_metadata({"report": Markdown("# t"), "n": 3, "models": Path("/m"), "j": {"a": 1}})
    assert shown["report"] == dg.MetadataValue.md("# t")
    assert shown["n"] == 3 and shown["models"] == Path("/m") and shown["j"] == {"a": 1}
