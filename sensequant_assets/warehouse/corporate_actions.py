"""The corporate_actions table, and daily bars read adjusted by it.

Raw daily_bars stay exactly as the source delivered them (they are the evidence the checks judge);
adjustment happens at read time, so a row added to data/reference/corporate_actions.csv and loaded
here corrects every later read without re-fetching a single partition.
"""

from collections.abc import Sequence

import duckdb
import pandas as pd

from sensequant_assets.market.corporate_actions import adjusted_bars
from sensequant_assets.warehouse.storage import among, read_bars, replace_rows
from sensequant_assets.warehouse.tables import CORPORATE_ACTIONS


def replace_corporate_actions(conn: duckdb.DuckDBPyConnection, actions: pd.DataFrame) -> None:
    """Make the table hold exactly `actions` (the whole reference file); call in `transaction`."""
    replace_rows(conn, CORPORATE_ACTIONS.name, "TRUE", [], CORPORATE_ACTIONS.select(actions))


def read_corporate_actions(
    conn: duckdb.DuckDBPyConnection, symbols: Sequence[str] | None = None
) -> pd.DataFrame:
    """corporate_actions rows of `symbols` (every symbol when None), by symbol and ex_date."""
    query = f"SELECT * FROM {CORPORATE_ACTIONS.name}"
    params: list[object] = []
    if symbols is not None:
        where, params = among("symbol", symbols)
        query += f" WHERE {where}"
    frame = conn.execute(query + " ORDER BY symbol, ex_date, kind", params).df()
    frame["ex_date"] = pd.to_datetime(frame["ex_date"])
    return frame


def read_adjusted_bars(
    conn: duckdb.DuckDBPyConnection, symbols: Sequence[str], years: Sequence[int] | None = None
) -> pd.DataFrame:
    """`read_bars`, with prices and volumes adjusted for the stored corporate actions.

    Same columns, rows and order as `read_bars(conn, symbols, years)`; a symbol without actions
    reads as stored. Actions after the last year read still apply (prices are in today's shares).
    """
    return adjusted_bars(read_bars(conn, symbols, years), read_corporate_actions(conn, symbols))
