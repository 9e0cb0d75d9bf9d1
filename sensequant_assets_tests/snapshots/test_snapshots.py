"""Snapshots follow the warehouse: after every run, each table's Parquet files hold exactly its
rows, including partitions replaced and partitions deleted since the last run."""

import warnings
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets import cli
from sensequant_assets.defs.teacher import assets as teacher_assets
from sensequant_assets.defs.teacher.assets import (
    teacher_labels,
    teacher_universe_model,
)
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.snapshots import (
    FILE_NAME,
    StaleSnapshotWarning,
    connect_snapshots,
    publish,
    publish_all,
)
from sensequant_assets.warehouse.storage import replace_bars, transaction
from sensequant_assets.warehouse.tables import DAILY_BARS
from sensequant_assets_tests.conftest import FIXED_NOW
from sensequant_assets_tests.defs.ingestion.test_assets import ingest
from sensequant_assets_tests.defs.teacher.test_assets import (
    FAST,
    GATE_MESSAGE,
    SYMBOLS,
    Gate,
    materialize_all,
    seed_bars,
)
from sensequant_assets_tests.faults.answers import FaultyAnswers
from sensequant_assets_tests.faults.run_child import generation_source
from sensequant_assets_tests.snapshots.helpers import differences, rows
from sensequant_assets_tests.teacher.factories import random_walk_bars

SHRINK = {"ops": {"daily_bars": {"config": {"allow_shrink": True}}}}
PER_PARTITION = (
    "SELECT symbol, CAST(year(date) AS INTEGER), count(*), min(volume), max(volume) "
    "FROM daily_bars GROUP BY ALL ORDER BY ALL"
)


def snapshots_of(warehouse: WarehouseResource) -> Path:
    root = ProjectPaths().snapshots_for(warehouse.database)
    assert root is not None
    return root


def test_bars_snapshots_match_after_a_replaced_and_a_deleted_partition(
    instance: dg.DagsterInstance, warehouse: WarehouseResource, synthetic_source
) -> None:
    assert ingest(instance, warehouse, synthetic_source).success
    root = snapshots_of(warehouse)
    assert root == Path(warehouse.database).with_suffix(".snapshots")
    assert differences(warehouse, root) == {}
    first = {row[:2]: row[2:] for row in rows(root, PER_PARTITION)}
    assert len(first) == 4  # INFY and OBEROI x 2022-2023; the other two have no bars

    regenerated = generation_source(7)
    assert ingest(instance, warehouse, regenerated, start="INFY|2023", end="INFY|2023").success
    emptied = FaultyAnswers(as_of=FIXED_NOW.isoformat(), faults={"OBEROI|2023": "empty"})
    shrunk = ingest(
        instance, warehouse, emptied, start="OBEROI|2023", end="OBEROI|2023", run_config=SHRINK
    )
    assert shrunk.success

    assert differences(warehouse, root) == {}
    now = {row[:2]: row[2:] for row in rows(root, PER_PARTITION)}
    assert now[("INFY", 2023)] == (first[("INFY", 2023)][0], 7, 7)
    assert ("OBEROI", 2023) not in now
    assert now[("OBEROI", 2022)] == first[("OBEROI", 2022)]
    assert (root / "daily_bars/symbol=OBEROI/year=2023" / FILE_NAME).is_file()  # empty, not gone
    stored = rows(root, "SELECT rows FROM bar_partitions WHERE symbol = 'OBEROI' AND year = 2023")
    assert stored == [(0,)]


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    stand_in = Gate()
    monkeypatch.setattr(teacher_assets, "blocking_failures", stand_in)
    return stand_in


def test_teacher_snapshots_match_and_a_gated_symbol_disappears(
    warehouse: WarehouseResource, instance: dg.DagsterInstance, gate: Gate, paths: ProjectPaths
) -> None:
    seed_bars(warehouse)  # written outside any step: published below, as for an old warehouse
    instance.add_dynamic_partitions("symbols", SYMBOLS)
    root = snapshots_of(warehouse)
    assert materialize_all(warehouse, instance, paths).success
    assert set(differences(warehouse, root)) == {"daily_bars", "bar_partitions"}
    with warehouse.get_connection() as conn:
        publish_all(conn, root)
    universe = dg.materialize(
        [teacher_labels.to_source_asset(), teacher_universe_model],
        selection=[teacher_universe_model],
        instance=instance,
        resources={
            "warehouse": warehouse,
            # Every gated name: these three symbols belong to no index's membership.
            "teacher": TeacherSettings(**FAST, universe_rule="every_gated_name"),
            "paths": paths,
        },
    )
    assert universe.success
    assert differences(warehouse, root) == {}
    labelled = "SELECT DISTINCT symbol FROM teacher_labels ORDER BY 1"
    assert rows(root, labelled) == [(s,) for s in SYMBOLS]

    gate.blocked["BBB"] = [GATE_MESSAGE]
    assert materialize_all(warehouse, instance, paths).success
    assert differences(warehouse, root) == {}
    assert rows(root, labelled) == [("AAA",), ("CCC",)]
    predicted = "SELECT DISTINCT symbol FROM teacher_predictions WHERE model = 'per_symbol'"
    assert sorted(rows(root, predicted)) == [("AAA",), ("CCC",)]


def test_a_failed_publish_keeps_the_run_and_warns_readers_until_republished(
    instance: dg.DagsterInstance, warehouse: WarehouseResource, synthetic_source
) -> None:
    root = snapshots_of(warehouse)
    blocker = root / "daily_bars" / "symbol=INFY"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("in the way\n")
    result = ingest(instance, warehouse, synthetic_source)
    assert result.success, "a snapshot failure must not fail the committed write"
    logged = [
        record.user_message
        for record in instance.all_logs(result.run_id)
        if record.level >= 40  # ERROR
    ]
    assert any(
        "the snapshot of daily_bars" in message
        and "the warehouse rows are committed and intact" in message
        and "sensequant snapshots publish" in message
        for message in logged
    ), logged
    with pytest.warns(StaleSnapshotWarning, match="the snapshot of daily_bars"):
        connect_snapshots(root).close()

    blocker.unlink()
    with warehouse.get_connection() as conn:
        publish_all(conn, root)
    assert differences(warehouse, root) == {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleSnapshotWarning)
        connect_snapshots(root).close()


def test_the_publish_command_backfills_snapshots_of_an_existing_warehouse(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    warehouse: WarehouseResource,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_bars(warehouse)  # a warehouse written before snapshots existed
    root = snapshots_of(warehouse)
    with pytest.raises(FileNotFoundError, match="sensequant snapshots publish"):
        connect_snapshots(root)
    monkeypatch.setenv("SENSEQUANT_WAREHOUSE", warehouse.database)
    assert cli.main(["snapshots", "publish"]) == 0
    assert "daily_bars: 9 file(s)" in capsys.readouterr().out  # 3 symbols x 3 years
    assert differences(warehouse, root) == {}

    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("SENSEQUANT_SNAPSHOTS_DIR", str(elsewhere))
    assert cli.main(["snapshots", "publish"]) == 0
    assert differences(warehouse, elsewhere) == {}

    in_the_way = tmp_path / "a file"
    in_the_way.write_text("not a folder\n")
    monkeypatch.setenv("SENSEQUANT_SNAPSHOTS_DIR", str(in_the_way))
    assert cli.main(["snapshots", "publish"]) == 1
    assert f"publishing the snapshots under {in_the_way} failed" in capsys.readouterr().err


def test_a_symbol_that_is_no_plain_folder_name_reads_back_and_is_deleted_by_prefix(
    warehouse: WarehouseResource,
) -> None:
    """`M&M` is a folder percent-encoded as DuckDB's Hive reader decodes it. Publishing a prefix
    (every year of a symbol) finds the years in the warehouse, and, once they are deleted there,
    on disk, so their files are emptied too."""
    root = snapshots_of(warehouse)
    bars = random_walk_bars("M&M", seed=5, years=(2023, 2024))
    with warehouse.get_connection() as conn:
        with transaction(conn):
            for year in (2023, 2024):
                replace_bars(conn, "M&M", year, bars[bars["date"].dt.year == year])
        assert publish(conn, root, DAILY_BARS, [("M&M",)]) == 2
        assert (root / "daily_bars" / "symbol=M%26M" / "year=2024" / FILE_NAME).is_file()
        assert rows(root, "SELECT DISTINCT symbol FROM daily_bars") == [("M&M",)]
        with transaction(conn):
            conn.execute("DELETE FROM daily_bars")
        assert publish(conn, root, DAILY_BARS, [("M&M",)]) == 2
    assert rows(root, "SELECT count(*) FROM daily_bars") == [(0,)]
    assert "daily_bars" not in differences(warehouse, root)  # bar_partitions was not published
