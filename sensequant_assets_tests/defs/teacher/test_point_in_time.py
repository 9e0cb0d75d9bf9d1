"""teacher_universe_model under the point-in-time universe: each date only its members."""

import datetime as dt
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from sensequant_assets.defs.reference.assets import universe_membership
from sensequant_assets.defs.teacher import assets
from sensequant_assets.defs.teacher.assets import teacher_labels, teacher_universe_model
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.defs.teacher.test_assets import (
    FAST,
    SYMBOLS,
    Gate,
    materialize_all,
    seed_bars,
    table,
)


@pytest.fixture
def trained(
    warehouse: WarehouseResource,
    instance: dg.DagsterInstance,
    paths: ProjectPaths,
    monkeypatch: pytest.MonkeyPatch,
) -> WarehouseResource:
    """teacher_labels and teacher_model of SYMBOLS (three years of random walks), every symbol
    passing the gate (the gate's own tests prove the real one)."""
    monkeypatch.setattr(assets, "blocking_failures", Gate())
    seed_bars(warehouse)
    instance.add_dynamic_partitions("symbols", SYMBOLS)
    assert materialize_all(warehouse, instance, paths).success
    return warehouse


LEFT = dt.date(2023, 6, 30)  # AAA's last day in the index
JOINED = dt.date(2023, 10, 2)  # CCC's first


def universe_run(
    warehouse: WarehouseResource,
    instance: dg.DagsterInstance,
    paths: ProjectPaths,
    settings: TeacherSettings,
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [teacher_labels.to_source_asset(), universe_membership, teacher_universe_model],
        selection=[universe_membership, teacher_universe_model],
        instance=instance,
        resources={"warehouse": warehouse, "teacher": settings, "paths": paths},
        raise_on_error=False,
    )


def test_each_date_trains_and_scores_only_that_dates_members(
    trained: WarehouseResource, instance: dg.DagsterInstance, paths: ProjectPaths
) -> None:
    lists = Path(paths.constituents_dir)
    lists.mkdir(parents=True)
    (lists / "idx_2022-01-03.txt").write_text("AAA\nBBB\n")
    (lists / f"idx_{LEFT + dt.timedelta(days=1)}.txt").write_text("BBB\n")
    (lists / f"idx_{JOINED}.txt").write_text("BBB\nCCC\n")
    settings = TeacherSettings(**FAST, min_names=2, universe_index="idx")
    result = universe_run(trained, instance, paths, settings)
    assert result.success
    predictions = table(trained, "teacher_predictions")
    universe = predictions[predictions["model"] == "universe"]
    dates = universe.groupby("symbol")["date"].agg(["min", "max"])
    assert pd.Timestamp(dates.loc["AAA", "max"]).date() <= LEFT  # kept its rows before it left
    assert pd.Timestamp(dates.loc["CCC", "min"]).date() >= JOINED  # nothing from before joining
    assert "BBB" in dates.index
    (materialization,) = result.asset_materializations_for_node("teacher_universe_model")
    metadata = materialization.metadata
    assert metadata["universe_rule"].value == (
        "point_in_time: each date's members of idx (universe_membership)"
    )
    assert metadata["report"].value.startswith("Universe: point_in_time")


def test_a_point_in_time_universe_without_membership_fails_saying_what_to_do(
    trained: WarehouseResource, instance: dg.DagsterInstance, paths: ProjectPaths
) -> None:
    settings = TeacherSettings(**FAST, min_names=2, universe_index="nifty50")
    result = universe_run(trained, instance, paths, settings)
    assert not result.success
    failure = result.failure_data_for_node("teacher_universe_model").user_failure_data
    assert "universe_membership holds no spells of index 'nifty50'" in failure.description
    assert "set universe_rule to every_gated_name" in failure.description
