"""intraday_bars at 1-minute scale: NIFTY 100 x 3 years (~28 million rows) in one DuckDB file.

Writes every symbol-month through `storage.replace_intraday` in transactions of 100 partitions
(what one intraday_bars run writes), then, on the full table: replaces single partitions, reads
a run's stored stamps (never-shrink), queries one symbol-day and one symbol-year through
`storage.read_intraday`, and counts the row groups the zone maps let a symbol-day read. Candles
are complete months on the NSE calendar (`market.intraday.month_candles`) with random prices;
layout and timings do not depend on the prices.

    .venv/bin/python -m benchmarks.bench_intraday [--symbols 100] [--out result.json]
"""

import argparse
import datetime as dt
import json
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sensequant_assets.market.intraday import month_candles
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.sources.intraday_plan import months_of
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import (
    read_intraday,
    read_intraday_partitions,
    replace_intraday,
    transaction,
)
from sensequant_assets_tests.support.zone_maps import zone_map_row_groups

PER_RUN = 100


def month_frame(stamps: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DataFrame:
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, len(stamps))))
    return pd.DataFrame(
        {
            "ts": stamps,
            "open": close,
            "high": close * 1.001,
            "low": close * 0.999,
            "close": close,
            "volume": rng.integers(0, 10_000, len(stamps)),
        }
    )


def run(symbols: int, folder: Path) -> dict[str, object]:
    known = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
    months = months_of(dt.date(2023, 1, 1), dt.date(2025, 12, 31))
    names = [f"SYM{n:03d}" for n in range(symbols)]
    rng = np.random.default_rng(1)
    shapes = {m: month_candles(m.year, m.month, "1minute", known) for m in months}
    warehouse = WarehouseResource(database=str(folder / "intraday.duckdb"))
    partitions = [(s, m) for m in months for s in names]  # a backfill's order: month, then symbol
    written, write_seconds, run_seconds = 0, 0.0, []
    for start in range(0, len(partitions), PER_RUN):
        chunk = partitions[start : start + PER_RUN]
        frames = {(s, m): month_frame(shapes[m], rng).assign(symbol=s) for s, m in chunk}
        began = time.perf_counter()
        with warehouse.get_connection() as conn, transaction(conn):
            for (symbol, month), frame in frames.items():
                replace_intraday(conn, symbol, month, "1minute", "synthetic", frame)
        run_seconds.append(time.perf_counter() - began)
        write_seconds += run_seconds[-1]
        written += sum(len(f) for f in frames.values())
    with warehouse.get_connection() as conn:
        conn.execute("CHECKPOINT")
    size_mb = (folder / "intraday.duckdb").stat().st_size / 2**20

    pick = random.Random(7)
    replace_times = []
    for symbol, month in pick.sample(partitions, 10):
        frame = month_frame(shapes[month], rng).assign(symbol=symbol)
        began = time.perf_counter()
        with warehouse.get_connection() as conn, transaction(conn):
            replace_intraday(conn, symbol, month, "1minute", "synthetic", frame)
        replace_times.append(time.perf_counter() - began)

    with warehouse.get_connection() as conn:
        conn.execute("CHECKPOINT")
        total = conn.execute("SELECT count(*) FROM intraday_bars").fetchone()[0]
        began = time.perf_counter()
        read_intraday_partitions(conn, partitions[-PER_RUN:], "1minute")
        stamps_seconds = time.perf_counter() - began
        day_times, admitted, groups = [], [], 0
        for symbol, month in pick.sample(partitions, 20):
            day = pd.Timestamp(pick.choice(shapes[month])).tz_localize(None).normalize()
            first, last = day.to_pydatetime(), (day + pd.Timedelta(days=1)).to_pydatetime()
            began = time.perf_counter()
            rows = read_intraday(conn, symbol, first, last, "1minute")
            day_times.append(time.perf_counter() - began)
            assert 0 < len(rows) <= 375
            count, groups = zone_map_row_groups(conn, symbol, first, last)
            admitted.append(count)
        year_times = []
        for symbol in pick.sample(names, min(5, len(names))):
            began = time.perf_counter()
            rows = read_intraday(
                conn, symbol, dt.datetime(2024, 1, 1), dt.datetime(2025, 1, 1), "1minute"
            )
            year_times.append(time.perf_counter() - began)
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="minutes"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "symbols": symbols,
        "months": len(months),
        "rows": total,
        "file_mb": round(size_mb),
        "rows_written_per_second": round(written / write_seconds),
        "run_write_seconds_median": round(statistics.median(run_seconds), 3),
        "partition_replace_seconds_median": round(statistics.median(replace_times), 4),
        "partition_replace_seconds_max": round(max(replace_times), 4),
        "run_stored_stamps_read_seconds": round(stamps_seconds, 3),
        "symbol_day_query_seconds_median": round(statistics.median(day_times), 4),
        "symbol_day_row_groups_read_max": max(admitted),
        "row_groups": groups,
        "symbol_year_query_seconds_median": round(statistics.median(year_times), 4),
        "symbol_year_rows": len(rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = run(args.symbols, Path(folder))
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
