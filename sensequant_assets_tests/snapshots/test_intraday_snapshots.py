"""Readers see every table: intraday_bars is published like daily_bars, and a table with no
snapshot is named, never silently read as empty."""

import warnings
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.defs.ingestion.assets import symbol_mapping
from sensequant_assets.defs.intraday.assets import intraday_bars
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.snapshots import MissingSnapshotWarning, connect_snapshots
from sensequant_assets_tests.defs.intraday.test_assets import resources

KEYS = ["2024-03|INFY", "2024-03|TCS"]


def test_intraday_bars_are_published_after_their_commit(
    instance: dg.DagsterInstance, warehouse: WarehouseResource, synthetic_source: object
) -> None:
    """A notebook on the snapshots reads the same candles as the warehouse holds; before, it
    read 0 rows of intraday_bars with no word of why."""
    instance.add_dynamic_partitions("symbols", ["INFY", "TCS"])
    given = resources(warehouse, synthetic_source, "30minute")
    assert dg.materialize(
        [symbol_mapping], instance=instance, resources=given, tags=range_tags("INFY", "TCS")
    ).success
    result = dg.materialize(
        [intraday_bars, symbol_mapping.to_source_asset()],
        instance=instance,
        resources=given,
        selection=[intraday_bars],
        tags=range_tags(KEYS[0], KEYS[-1]),
    )
    assert result.success
    query = (
        "SELECT symbol, interval, count(*), sum(close) FROM intraday_bars GROUP BY ALL ORDER BY 1"
    )
    with warehouse.get_connection() as conn:
        stored = conn.execute(query).fetchall()
    assert [row[:2] for row in stored] == [("INFY", "30minute"), ("TCS", "30minute")]
    root = ProjectPaths().snapshots_for(warehouse.local_file)
    assert root is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reader = connect_snapshots(root)
    assert reader.execute(query).fetchall() == stored
    missing = [str(w.message) for w in caught if w.category is MissingSnapshotWarning]
    named = missing[0].split(" under ")[0].removeprefix("No snapshot of ").split(", ")
    assert "intraday_bars" not in named and "daily_bars" in named  # none written here


def test_a_table_without_a_snapshot_is_named(tmp_path: Path) -> None:
    (tmp_path / "snapshots").mkdir()
    with pytest.warns(MissingSnapshotWarning, match="No snapshot of .*intraday_bars") as caught:
        reader = connect_snapshots(tmp_path / "snapshots")
    assert "sensequant snapshots publish" in str(caught[0].message)
    assert reader.execute("SELECT count(*) FROM intraday_bars").fetchone() == (0,)
