"""The layout choices behind intraday_bars, measured on ~28.8 million rows of raw SQL.

Two files of the same rows (100 symbols x 3 years of 1-minute candles on weekdays, random
prices): one inserted in partition order (symbol, then time), one in time order across symbols.
For each: symbol-day and symbol-year query times and the row groups their zone maps admit. Then
the first gets `PRIMARY KEY (symbol, interval, ts)`: build time, file size, and a symbol-month
replace (delete and append) with and without it. Query times are of an aggregate over the
selected rows (the scan, not building Python rows), medians of 9. Needs ~4.5 GB of memory and
~4 minutes.

    .venv/bin/python -m benchmarks.bench_intraday_layout [--folder /tmp/layout]
"""

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from sensequant_assets.warehouse.tables import INTRADAY_BARS
from sensequant_assets_tests.support.zone_maps import zone_map_row_groups

ROWS = """
SELECT 'SYM' || lpad(s::VARCHAR, 3, '0') AS symbol, '1minute' AS interval,
       day + INTERVAL 555 MINUTE + m * INTERVAL 1 MINUTE AS ts,
       100 + random() AS open, 101 + random() AS high, 99 + random() AS low,
       100 + random() AS close, (random() * 10000)::BIGINT AS volume, 'synthetic' AS source
FROM range(100) a(s),
     (SELECT d::DATE AS day FROM range(DATE '2023-01-01', DATE '2026-01-01', INTERVAL 1 DAY) r(d)
      WHERE dayofweek(d) BETWEEN 1 AND 5 AND dayofmonth(d) <= 30),
     range(375) b(m)
"""


def timed(conn: duckdb.DuckDBPyConnection, query: str, params: list, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        conn.execute(query, params).fetchall()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def queries(conn: duckdb.DuckDBPyConnection) -> dict[str, float]:
    # An aggregate over the selected rows: what is timed is the scan, not building Python rows.
    query = (
        "SELECT count(*), sum(close), max(high) FROM intraday_bars "
        "WHERE symbol = ? AND interval = ? AND ts >= ? AND ts < ?"
    )
    day = dt.datetime(2024, 5, 14)
    admitted, groups = zone_map_row_groups(conn, "SYM023", day, day + dt.timedelta(days=1))
    return {
        "symbol_day_ms": round(
            1000 * timed(conn, query, ["SYM023", "1minute", day, day + dt.timedelta(days=1)], 7), 1
        ),
        "symbol_day_row_groups_admitted": admitted,
        "row_groups": groups,
        "symbol_year_ms": round(
            1000
            * timed(
                conn,
                query,
                ["SYM023", "1minute", dt.datetime(2024, 1, 1), dt.datetime(2025, 1, 1)],
                5,
            ),
            1,
        ),
    }


def replace_seconds(conn: duckdb.DuckDBPyConnection) -> float:
    month = pd.bdate_range("2024-03-01", "2024-03-31")
    stamps = (
        month.values[:, None]
        + np.timedelta64(555, "m")
        + np.arange(375)[None, :] * np.timedelta64(1, "m")
    ).ravel()
    frame = pd.DataFrame(
        {
            "symbol": "SYM050",
            "interval": "1minute",
            "ts": stamps,
            "open": 100.0,
            "high": 101.0,
            "low": 99.0,
            "close": 100.0,
            "volume": np.ones(len(stamps), dtype="int64"),
            "source": "synthetic",
        }
    )
    times = []
    for _ in range(4):
        began = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute(
            "DELETE FROM intraday_bars WHERE symbol = ? AND interval = ? AND ts >= ? AND ts < ?",
            ["SYM050", "1minute", dt.datetime(2024, 3, 1), dt.datetime(2024, 4, 1)],
        )
        conn.append("intraday_bars", frame, by_name=True)
        conn.execute("COMMIT")
        times.append(time.perf_counter() - began)
    return round(statistics.median(times), 3)


def build(path: Path, order: str) -> dict[str, object]:
    conn = duckdb.connect(str(path))
    conn.execute(INTRADAY_BARS.ddl())
    began = time.perf_counter()
    conn.execute(f"INSERT INTO intraday_bars {ROWS} ORDER BY {order}")
    conn.execute("CHECKPOINT")
    result = {"load_s": round(time.perf_counter() - began, 1)}
    result["rows"] = conn.execute("SELECT count(*) FROM intraday_bars").fetchone()[0]
    result["file_mb"] = round(path.stat().st_size / 2**20)
    result |= queries(conn)
    conn.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        result = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="minutes")}
        result["by_partition"] = build(folder / "by_partition.duckdb", "symbol, ts")
        result["by_time"] = build(folder / "by_time.duckdb", "ts, symbol")
        (folder / "by_time.duckdb").unlink()
        conn = duckdb.connect(str(folder / "by_partition.duckdb"))
        result["replace_without_key_s"] = replace_seconds(conn)
        began = time.perf_counter()
        conn.execute("ALTER TABLE intraday_bars ADD PRIMARY KEY (symbol, interval, ts)")
        conn.execute("CHECKPOINT")
        result["key_build_s"] = round(time.perf_counter() - began, 1)
        result["file_mb_with_key"] = round((folder / "by_partition.duckdb").stat().st_size / 2**20)
        result["replace_with_key_s"] = replace_seconds(conn)
        conn.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
