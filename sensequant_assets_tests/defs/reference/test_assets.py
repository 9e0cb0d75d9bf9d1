"""The corporate_actions asset, and the adjusted bars the teacher reads through it."""

import dagster as dg
import pandas as pd

from sensequant_assets.defs.reference.assets import corporate_actions
from sensequant_assets.market.calendar import sessions_in_year
from sensequant_assets.paths import REFERENCE_DIR, ProjectPaths
from sensequant_assets.universe.reference import (
    CORPORATE_ACTIONS_FILE,
    load_corporate_actions,
)
from sensequant_assets.warehouse.corporate_actions import (
    read_adjusted_bars,
    read_corporate_actions,
)
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import read_bars
from sensequant_assets_tests.quality.factories import bars_for, mapping_rows, store


def test_the_reference_file_is_loaded_whole(
    warehouse: WarehouseResource, paths: ProjectPaths
) -> None:
    result = dg.materialize([corporate_actions], resources={"warehouse": warehouse, "paths": paths})
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    expected = load_corporate_actions(REFERENCE_DIR / CORPORATE_ACTIONS_FILE)
    assert metadata["dagster/row_count"].value == len(expected)
    assert "| TATASTEEL  | 2022-07-28 | split      | 10:1 " in metadata["actions"].value
    with warehouse.get_connection() as conn:
        stored = read_corporate_actions(conn)
    assert len(stored) == len(expected)
    assert set(zip(stored["symbol"], stored["ex_date"], stored["kind"], strict=True)) == set(
        zip(expected["symbol"], expected["ex_date"], expected["kind"], strict=True)
    )
    # Loading again replaces, never appends.
    dg.materialize([corporate_actions], resources={"warehouse": warehouse, "paths": paths})
    with warehouse.get_connection() as conn:
        assert len(read_corporate_actions(conn)) == len(expected)


def test_adjusted_reads_leave_the_stored_bars_as_traded(
    warehouse: WarehouseResource, paths: ProjectPaths
) -> None:
    days = sessions_in_year(2022)
    traded = bars_for("TATASTEEL", days, close=1000.0)
    after = traded["date"].dt.date >= pd.Timestamp("2022-07-28").date()
    traded.loc[after, ["open", "high", "low", "close"]] /= 10
    traded.loc[after, "volume"] *= 10
    other = bars_for("TCS", days, close=3000.0)
    with warehouse.get_connection() as conn:
        store(conn, {("TATASTEEL", 2022): traded, ("TCS", 2022): other}, mapping_rows("TCS"))
    dg.materialize([corporate_actions], resources={"warehouse": warehouse, "paths": paths})
    with warehouse.get_connection() as conn:
        raw = read_bars(conn, ["TATASTEEL", "TCS"])
        adjusted = read_adjusted_bars(conn, ["TATASTEEL", "TCS"])
        assert raw.equals(read_bars(conn, ["TATASTEEL", "TCS"]))  # reading adjusted changed nothing
    tata = adjusted[adjusted["symbol"] == "TATASTEEL"]
    assert (tata["close"] == 100.0).all() and (tata["volume"] == 10_000).all()
    assert raw[raw["symbol"] == "TATASTEEL"]["close"].max() == 1000.0
    pd.testing.assert_frame_equal(
        adjusted[adjusted["symbol"] == "TCS"], raw[raw["symbol"] == "TCS"]
    )
