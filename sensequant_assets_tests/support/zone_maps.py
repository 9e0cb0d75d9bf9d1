"""Which row groups of intraday_bars DuckDB's zone maps let a symbol-and-time read skip: what the
intraday storage test and the layout benchmarks measure."""

import datetime as dt
import re

import duckdb


def zone_map_row_groups(
    conn: duckdb.DuckDBPyConnection, symbol: str, start: dt.datetime, end: dt.datetime
) -> tuple[int, int]:
    """(row groups whose zone maps admit `symbol` in [start, end), row groups in all) of
    intraday_bars, from each row group's min/max statistics (pragma_storage_info)."""
    rows = conn.execute(
        "SELECT row_group_id, column_name, stats FROM pragma_storage_info('intraday_bars') "
        "WHERE column_name IN ('symbol', 'ts') AND segment_type <> 'VALIDITY'"
    ).fetchall()
    bounds: dict[int, dict[str, list[tuple[str, str]]]] = {}
    for group, column, stats in rows:
        found = re.search(r"\[Min: ([^,\]]*).*?, Max: ([^,\]]*)", stats)
        if found:
            bounds.setdefault(group, {}).setdefault(column, []).append(found.groups())
    low, high = f"{start:%Y-%m-%d %H:%M:%S}", f"{end:%Y-%m-%d %H:%M:%S}"

    def admits(group: dict[str, list[tuple[str, str]]]) -> bool:
        symbols = group.get("symbol", [("", "\uffff")])
        stamps = group.get("ts", [("", "\uffff")])
        return min(s[0] for s in symbols) <= symbol <= max(s[1] for s in symbols) and (
            min(t[0] for t in stamps) < high and max(t[1] for t in stamps) >= low
        )

    return sum(1 for group in bounds.values() if admits(group)), len(bounds)
