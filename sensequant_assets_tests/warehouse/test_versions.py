"""Data versions from the stored rows: they change exactly when a partition's rows do."""

import pandas as pd

from sensequant_assets.warehouse.corporate_actions import replace_corporate_actions
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import bars_partition, replace_bars, transaction
from sensequant_assets.warehouse.versions import (
    EMPTY_VERSION,
    bar_versions,
    corporate_action_versions,
    corporate_actions_version,
)
from sensequant_assets_tests.teacher.factories import random_walk_bars


def write(warehouse: WarehouseResource, symbol: str, year: int, bars: pd.DataFrame) -> None:
    with warehouse.get_connection() as conn, transaction(conn, [bars_partition(symbol, year)]):
        replace_bars(conn, symbol, year, bars)


def versions(warehouse: WarehouseResource) -> dict[tuple[str, int], str]:
    with warehouse.get_connection() as conn:
        return bar_versions(conn, ["AAA", "BBB"])


def test_a_bar_partition_changes_version_exactly_when_its_rows_change(
    warehouse: WarehouseResource,
) -> None:
    bars = random_walk_bars("AAA", 1)
    years = {year: bars[bars["date"].dt.year == year] for year in (2022, 2023)}
    for year, rows in years.items():
        write(warehouse, "AAA", year, rows)
    write(warehouse, "BBB", 2022, random_walk_bars("BBB", 2).iloc[0:0])  # written, empty
    first = versions(warehouse)
    assert set(first) == {("AAA", 2022), ("AAA", 2023), ("BBB", 2022)}
    assert first["BBB", 2022] == EMPTY_VERSION
    assert len({first["AAA", 2022], first["AAA", 2023], EMPTY_VERSION}) == 3

    # The same rows again, appended in another order: the same versions.
    write(warehouse, "AAA", 2023, years[2023].iloc[::-1].reset_index(drop=True))
    assert versions(warehouse) == first

    # One close corrected in 2023: that partition's version alone changes.
    corrected = years[2023].copy()
    corrected.loc[corrected.index[10], "close"] *= 1.001
    write(warehouse, "AAA", 2023, corrected)
    after = versions(warehouse)
    assert after["AAA", 2023] != first["AAA", 2023]
    assert {k: v for k, v in after.items() if k != ("AAA", 2023)} == {
        k: v for k, v in first.items() if k != ("AAA", 2023)
    }


def test_corporate_action_versions_per_symbol_and_for_the_table(
    warehouse: WarehouseResource,
) -> None:
    actions = pd.DataFrame(
        {
            "symbol": ["AAA", "AAA", "BBB"],
            "ex_date": pd.to_datetime(["2023-05-02", "2024-01-10", "2023-07-03"]),
            "kind": ["split", "bonus", "adjustment"],
            "ratio": ["1:2", "1:1", "0.97"],
            "factor": [2.0, 2.0, 1 / 0.97],
            "note": [None, "bonus issue", None],
        }
    )
    with warehouse.get_connection() as conn, transaction(conn):
        replace_corporate_actions(conn, actions)
    with warehouse.get_connection() as conn:
        first = corporate_action_versions(conn, ["AAA", "BBB", "CCC"])
        table = corporate_actions_version(conn)
    assert first["CCC"] == EMPTY_VERSION and first["AAA"] != first["BBB"]

    revised = actions.assign(factor=[2.0, 2.0, 1 / 0.96], ratio=["1:2", "1:1", "0.96"])
    with warehouse.get_connection() as conn, transaction(conn):
        replace_corporate_actions(conn, actions)
        assert corporate_actions_version(conn) == table  # reloaded unchanged
        replace_corporate_actions(conn, revised)
        after = corporate_action_versions(conn, ["AAA", "BBB", "CCC"])
        assert corporate_actions_version(conn) != table
    assert after["AAA"] == first["AAA"] and after["BBB"] != first["BBB"]
