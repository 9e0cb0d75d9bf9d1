"""A table's slicing, declared once on its `Table`, cuts it the same way everywhere: the slices
the lake migration copies one by one, the WHERE clause a write replaces, the partition a DuckLake
writer declares, and the folders of its snapshot files. Its empty frame is built from its columns
and passes its own checks.

Each sliced table is filled, in a real DuckDB, with rows of every combination of two values per
key (a symbol that is no plain folder name, a December whose month ends in the next year), then
cut by each of the four and compared with the rows as they were written.
"""

import datetime as dt
import itertools
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sensequant_assets.sources.bars import empty_bars
from sensequant_assets.warehouse.snapshots import FILE_NAME, folder, publish
from sensequant_assets.warehouse.storage import (
    bars_partition,
    intraday_partition,
    replace_slice,
)
from sensequant_assets.warehouse.tables import (
    DAILY_BARS,
    INTRADAY_BARS,
    TABLES,
    Key,
    Table,
)

SLICED = [table for table in TABLES if table.slices]

# Two values of every key any table is sliced by, as partitions and folders spell them.
VALUES = {
    "symbol": ("M&M", "TCS"),
    "year": ("2023", "2024"),
    "interval": ("1minute", "30minute"),
    "month": ("2024-01", "2024-12"),
    "model": ("per_symbol", "universe"),
}
ROWS_PER_SLICE = 2

# A value of each SQL type, for the columns no key decides.
FILLERS = {
    "VARCHAR": "x",
    "DOUBLE": 1.5,
    "BIGINT": 7,
    "INTEGER": 3,
    "TINYINT": 1,
    "DOUBLE[]": [0.5],
    "DATE": dt.date(2020, 1, 2),
    "TIMESTAMP": dt.datetime(2020, 1, 2, 9, 15),
    "BOOLEAN": True,
}


def keyed(key: Key, value: str, row: int) -> dict[str, object]:
    """The column values a row of the slice `value` of `key` holds: the key's column, or a
    date, a timestamp inside the year or month it names (the first and last instant of it)."""
    if key.month_of:
        start = dt.datetime.strptime(value, "%Y-%m")
        end = (start + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(microseconds=1)
        return {key.month_of: (start, end)[row]}
    if key.expression == "year(date)":
        return {"date": (dt.date(int(value), 1, 1), dt.date(int(value), 12, 31))[row]}
    return {key.expression: int(value) if key.sql_type == "INTEGER" else value}


def filled(table: Table) -> tuple[duckdb.DuckDBPyConnection, list[tuple[str, ...]]]:
    """An in-memory DuckDB holding the table with ROWS_PER_SLICE rows in each slice of every
    combination of VALUES; the slices, as partitions spell them."""
    conn = duckdb.connect(":memory:")
    conn.execute(table.ddl(constraints=False))  # no key: fillers repeat across slices
    slices = list(itertools.product(*(VALUES[key.name] for key in table.slices)))
    rows = []
    for values in slices:
        for row in range(ROWS_PER_SLICE):
            cells: dict[str, object] = {c.name: FILLERS[c.base_type] for c in table.columns}
            for key, value in zip(table.slices, values, strict=True):
                cells.update(keyed(key, value, row))
            rows.append(cells)
    conn.append(table.name, pd.DataFrame(rows, columns=list(table.column_names)), by_name=True)
    return conn, slices


def count(conn: duckdb.DuckDBPyConnection, table: Table, values: tuple[str, ...]) -> int:
    where, params = table.where(values)
    return conn.execute(f"SELECT count(*) FROM {table.name} WHERE {where}", params).fetchone()[0]


@pytest.mark.parametrize("table", SLICED, ids=lambda table: table.name)
def test_migration_writes_snapshots_and_partitions_cut_a_table_alike(
    table: Table, tmp_path: Path
) -> None:
    conn, slices = filled(table)
    total = len(slices) * ROWS_PER_SLICE

    # The migration copies the slices its expressions find, each by the table's WHERE.
    keys = ", ".join(key.expression for key in table.slices)
    found = conn.execute(f"SELECT DISTINCT {keys} FROM {table.name}").fetchall()
    assert sorted(tuple(str(value) for value in row) for row in found) == sorted(slices)
    assert [count(conn, table, values) for values in slices] == [ROWS_PER_SLICE] * len(slices)
    assert count(conn, table, ()) == total

    # The snapshot: one file per slice of its folder keys, holding exactly that slice's rows.
    depth = len(table.folder_keys)
    publish(conn, tmp_path, table, [()])
    prefixes = sorted({values[:depth] for values in slices})
    files = sorted(path.parent for path in (tmp_path / table.name).rglob(FILE_NAME))
    assert files == sorted(folder(tmp_path, table, prefix) for prefix in prefixes)
    for prefix in prefixes:
        file = folder(tmp_path, table, prefix) / FILE_NAME
        held = conn.execute(f"SELECT count(*) FROM read_parquet('{file}')").fetchone()[0]
        assert held == count(conn, table, prefix) == total // len(prefixes)

    # A write replaces one slice, the one its partition names, and nothing else.
    first, *others = slices
    assert table.partition(first) == (table.name, *first)
    replace_slice(conn, table, first, table.empty_frame())
    assert count(conn, table, first) == 0
    assert count(conn, table, ()) == total - ROWS_PER_SLICE
    assert all(count(conn, table, values) == ROWS_PER_SLICE for values in others)


def test_the_partitions_writers_declare_are_their_tables() -> None:
    """The lake's writer lock sees the names it always saw (held partitions compare by them)."""
    assert bars_partition("TCS", 2024) == DAILY_BARS.partition(("TCS", 2024))
    assert bars_partition("TCS", 2024) == ("daily_bars", "TCS", "2024")
    month = dt.date(2024, 3, 1)
    assert intraday_partition("TCS", month, "1minute") == (
        "intraday_bars",
        "TCS",
        "1minute",
        "2024-03",
    )


def test_a_month_slice_is_a_range_the_zone_maps_skip_by() -> None:
    where, params = INTRADAY_BARS.where(("TCS", "1minute", dt.date(2024, 12, 1)))
    assert where.endswith("ts >= ? AND ts < ?")
    assert params[-2:] == [dt.datetime(2024, 12, 1), dt.datetime(2025, 1, 1)]
    assert INTRADAY_BARS.where(("TCS", "1minute", "2024-12")) == (where, params)


def test_more_values_than_keys_is_refused() -> None:
    with pytest.raises(ValueError, match="daily_bars is sliced by 2 keys"):
        DAILY_BARS.where(("TCS", 2024, "extra"))


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.name)
def test_each_empty_frame_holds_the_tables_columns_and_passes_its_checks(table: Table) -> None:
    empty = table.empty_frame()
    assert tuple(empty.columns) == table.column_names and empty.empty
    assert table.value_problems(empty) == {}


def test_the_empty_bars_are_the_dtypes_sources_always_returned() -> None:
    """As written by hand in sources/bars.py before the table built them."""
    assert {name: str(dtype) for name, dtype in empty_bars().dtypes.items()} == {
        "symbol": "object",
        "date": "datetime64[ns]",
        "open": "float64",
        "high": "float64",
        "low": "float64",
        "close": "float64",
        "volume": "int64",
        "source": "object",
    }
