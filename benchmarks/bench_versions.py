"""What per-partition data versions cost: hashing every stored bars partition of a universe.

`teacher_labels` hashes each of its symbols' bars partitions and corporate actions before it
decides whether to relabel, and `daily_bars` hashes the partitions a run wrote. This times
`bar_versions` plus `corporate_action_versions` over N symbols x the years 2022-2025 of
synthetic bars in a throw-away warehouse (median of five, after one warm-up).
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import replace_bars, transaction
from sensequant_assets.warehouse.versions import bar_versions, corporate_action_versions

YEARS = (2022, 2023, 2024, 2025)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=100)
    args = parser.parse_args()
    source = SyntheticSource(as_of="2025-12-31T12:00:00+00:00")
    symbols = [f"SYM{i:03d}" for i in range(args.symbols)]
    with tempfile.TemporaryDirectory() as folder:
        warehouse = WarehouseResource(database=str(Path(folder) / "warehouse.duckdb"))
        with warehouse.get_connection() as conn, transaction(conn):
            for symbol in symbols:
                mapping = source.lookup(symbol, symbol)
                for year in YEARS:
                    replace_bars(conn, symbol, year, source.fetch_year(mapping, year).bars)
        with warehouse.get_connection() as conn:
            [(rows,)] = conn.execute("SELECT count(*) FROM daily_bars").fetchall()
            seconds = []
            for _ in range(6):
                started = time.perf_counter()
                versions = bar_versions(conn, symbols)
                corporate_action_versions(conn, symbols)
                seconds.append(time.perf_counter() - started)
    timed = seconds[1:]
    print(
        f"{args.symbols} symbols, {len(versions)} partitions, {rows} rows: median "
        f"{statistics.median(timed):.3f} s (min {min(timed):.3f}, max {max(timed):.3f})"
    )


if __name__ == "__main__":
    main()
