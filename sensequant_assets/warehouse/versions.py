"""Data versions: a hash of the rows a partition holds, computed by the warehouse itself.

Dagster decides what is unsynced, and the teacher what to rebuild, by comparing data versions,
so a version must change exactly when the rows do: a refresh that re-fetches identical bars keeps
it, a corrected bar changes it. Every reader and writer computes it here, from the stored rows
(DuckDB prints a double the same way each time), never from a frame on its way in, so the version
a materialization reports and the one a later run recomputes agree.
"""

import hashlib
from collections.abc import Iterable, Sequence

import duckdb

from sensequant_assets.warehouse.storage import among

EMPTY_VERSION = hashlib.sha256(b"").hexdigest()
"""The version of a partition without rows (DuckDB's sha256 of an empty string is the same)."""

_BAR_ROW = "concat_ws('|', date, open, high, low, close, volume, source)"
_ACTION_ROW = "concat_ws('|', ex_date, kind, ratio, factor, coalesce(note, ''))"


def bar_versions(
    conn: duckdb.DuckDBPyConnection, symbols: Sequence[str]
) -> dict[tuple[str, int], str]:
    """The version of every daily_bars partition written for `symbols`, empty ones included
    (bar_partitions lists them), in one query."""
    bars_where, params = among("symbol", symbols)
    partitions_where, _ = among("p.symbol", symbols)
    rows = conn.execute(
        f"""
        SELECT p.symbol, p.year, coalesce(v.version, ?)
        FROM bar_partitions p
        LEFT JOIN (
            SELECT symbol, CAST(year(date) AS INTEGER) AS year,
                   sha256(string_agg({_BAR_ROW}, ';' ORDER BY date)) AS version
            FROM daily_bars WHERE {bars_where} GROUP BY ALL
        ) v USING (symbol, year)
        WHERE {partitions_where}
        """,
        [EMPTY_VERSION, *params, *params],
    ).fetchall()
    return {(str(symbol), int(year)): str(version) for symbol, year, version in rows}


def corporate_action_versions(
    conn: duckdb.DuckDBPyConnection, symbols: Sequence[str]
) -> dict[str, str]:
    """The version of each symbol's corporate actions (EMPTY_VERSION for a symbol without)."""
    where, params = among("symbol", symbols)
    rows = conn.execute(
        f"SELECT symbol, sha256(string_agg({_ACTION_ROW}, ';' ORDER BY ex_date, kind)) "
        f"FROM corporate_actions WHERE {where} GROUP BY symbol",
        params,
    ).fetchall()
    found = {str(symbol): str(version) for symbol, version in rows}
    return {symbol: found.get(symbol, EMPTY_VERSION) for symbol in symbols}


def corporate_actions_version(conn: duckdb.DuckDBPyConnection) -> str:
    """The version of the whole corporate_actions table."""
    [symbols] = conn.execute(
        "SELECT coalesce(list(DISTINCT symbol ORDER BY symbol), []) FROM corporate_actions"
    ).fetchone() or [[]]
    versions = corporate_action_versions(conn, list(symbols))
    return combine_versions(f"{symbol}={version}" for symbol, version in versions.items())


def combine_versions(parts: Iterable[str]) -> str:
    """One version for an ordered collection of parts (versions, settings hashes, names)."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
