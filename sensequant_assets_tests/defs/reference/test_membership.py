"""The universe_membership asset and its membership_check, on the real warehouse."""

import shutil
from pathlib import Path

import dagster as dg

from sensequant_assets.defs.reference.assets import universe_membership
from sensequant_assets.defs.reference.checks import membership_check
from sensequant_assets.paths import REFERENCE_DIR, ProjectPaths
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import read_membership


def run(warehouse: WarehouseResource, paths: ProjectPaths) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [universe_membership, membership_check],
        resources={"warehouse": warehouse, "paths": paths},
        raise_on_error=False,
    )


def test_the_shipped_history_is_stored_shown_and_passes(
    warehouse: WarehouseResource, paths: ProjectPaths
) -> None:
    result = run(warehouse, paths)
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert "![members over time](data:image/png;base64,iVBOR" in metadata["membership"].value
    assert metadata["indexes"].value == "nifty100"
    assert metadata["names_that_left"].value == 4  # HDFC, IDEA (it returns), MINDTREE, YESBANK
    (check,) = result.get_asset_check_evaluations()
    assert check.passed
    with warehouse.get_connection() as conn:
        stored = read_membership(conn, "nifty100")
    assert metadata["dagster/row_count"].value == len(stored)
    hdfc = stored[stored["symbol"] == "HDFC"]
    assert hdfc["member_to"].dt.date.astype(str).tolist() == ["2023-07-12"]  # kept after leaving
    # Rebuilt whole: a second run stores the same spells, not twice as many.
    assert run(warehouse, paths).success
    with warehouse.get_connection() as conn:
        assert len(read_membership(conn, "nifty100")) == len(stored)


def test_a_stale_name_fails_the_check_and_a_bad_list_is_left_out_by_name(
    warehouse: WarehouseResource, paths: ProjectPaths, tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, reference)
    lists = Path(paths.constituents_dir)
    lists.mkdir(parents=True)
    (lists / "stale.txt").write_text("# index: nifty100\n# effective: 2024-09-30\nHDFC\nTCS\n")
    (lists / "broken.txt").write_text("# effective: 30-09-2024\nTCS\n")
    paths = ProjectPaths(**{**paths.model_dump(), "reference_dir": str(reference)})
    result = run(warehouse, paths)
    (event,) = result.get_asset_materialization_events()
    assert (
        "broken.txt:1: effective date '30-09-2024'"
        in event.materialization.metadata["lists_left_out"].value
    )
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert check.metadata["stale_names"].value == 1
    assert "HDFC is still named by a nifty100 list that took effect on 2024-09-30" in (
        check.description
    )
