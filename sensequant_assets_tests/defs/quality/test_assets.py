"""The coverage_report asset: JSON and Markdown per constituent list."""

import json

import dagster as dg
import pytest

from sensequant_assets.defs.quality.assets import coverage_report
from sensequant_assets.market.history import HistorySettings
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.quality.test_report import warehouse

__all__ = ["warehouse"]


def test_asset_writes_json_and_markdown_per_list(
    warehouse: WarehouseResource, paths: ProjectPaths, history: HistorySettings
) -> None:
    lists = paths.constituents
    lists.mkdir()
    (lists / "batch4.txt").write_text("TCS\nOBEROI\n", encoding="utf-8")
    (lists / "batch5.txt").write_text("INFY\n", encoding="utf-8")
    result = dg.materialize(
        [coverage_report],
        resources={"warehouse": warehouse, "paths": paths, "history": history},
    )
    (materialization,) = result.get_asset_materialization_events()
    metadata = materialization.materialization.metadata
    assert "| TCS | complete | complete | complete |" in metadata["batch4"].value
    assert "| OBEROI | unmapped |" in metadata["batch4"].value
    written = json.loads((paths.reports / "batch5.json").read_text(encoding="utf-8"))
    assert written["symbols"]["INFY"]["2023"]["status"] == "partial"
    assert metadata["batch5 json"].value == str(paths.reports / "batch5.json")


def test_asset_refuses_an_empty_constituents_folder(
    warehouse: WarehouseResource, paths: ProjectPaths, history: HistorySettings
) -> None:
    paths.constituents.mkdir()
    with pytest.raises(dg.Failure, match="No constituent lists"):
        dg.materialize(
            [coverage_report],
            resources={"warehouse": warehouse, "paths": paths, "history": history},
        )
