"""Warehouse reads and writes that every domain shares.

Rows are replaced inside one transaction (DELETE the slice, INSERT the new rows), so a failure
half-way leaves the previous rows and a retry never duplicates them.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

import duckdb
import pandas as pd

Origin = Literal["synthetic", "market"]


class SourceMismatchError(RuntimeError):
    """Writing one family of data (synthetic, market) into a warehouse bound to the other."""


def bind_origin(conn: duckdb.DuckDBPyConnection, origin: Origin, database: str) -> None:
    """Bind the warehouse to `origin` on first write; refuse any other origin afterwards."""
    row = conn.execute("SELECT origin FROM warehouse_binding").fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO warehouse_binding (origin, bound_at) VALUES (?, ?)",
            [origin, dt.datetime.now(dt.UTC).replace(tzinfo=None)],
        )
    elif row[0] != origin:
        raise SourceMismatchError(
            f"The warehouse {database} holds {row[0]} data; refusing to write {origin} data "
            f"into it. Point SENSEQUANT_WAREHOUSE at another file for the {origin} source "
            "(for example data/warehouse-synthetic.duckdb)."
        )


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit everything inside, or nothing: a failure rolls back every statement."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def replace_rows(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    where: str,
    params: Sequence[object],
    rows: pd.DataFrame,
) -> None:
    """Replace the rows of `table` matching `where` with `rows`; call inside `transaction`."""
    conn.execute(f"DELETE FROM {table} WHERE {where}", list(params))
    if not rows.empty:
        conn.append(table, rows, by_name=True)


def replace_bars(
    conn: duckdb.DuckDBPyConnection, symbol: str, year: int, bars: pd.DataFrame
) -> None:
    """Replace one symbol-year of daily bars; call inside `transaction`."""
    replace_rows(conn, "daily_bars", "symbol = ? AND year(date) = ?", [symbol, year], bars)


def read_bars(
    conn: duckdb.DuckDBPyConnection, symbols: Sequence[str], years: Sequence[int] | None = None
) -> pd.DataFrame:
    """Daily bars for `symbols` (all years, or only `years`), ordered by symbol and date."""
    query = "SELECT * FROM daily_bars WHERE list_contains(?, symbol)"
    params: list[object] = [list(symbols)]
    if years is not None:
        query += " AND list_contains(?, CAST(year(date) AS INTEGER))"
        params.append(list(years))
    frame = conn.execute(query + " ORDER BY symbol, date", params).df()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def read_mappings(conn: duckdb.DuckDBPyConnection, symbols: Sequence[str]) -> pd.DataFrame:
    return conn.execute(
        "SELECT * FROM symbol_mapping WHERE list_contains(?, symbol) ORDER BY symbol",
        [list(symbols)],
    ).df()
