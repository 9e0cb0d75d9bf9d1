"""intraday_bars storage: replace by partition, never shrink, IST stamps kept exactly, and a
layout in which one symbol-day reads only the row groups holding it."""

import datetime as dt
import re

import duckdb
import numpy as np
import pandas as pd

from sensequant_assets.market.intraday import month_candles
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.sources.base import FetchResult
from sensequant_assets.sources.intraday_batch import CANDLE_STAMPS
from sensequant_assets.sources.write_policy import settle_partitions
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import (
    intraday_partition,
    month_span,
    read_intraday,
    read_intraday_partitions,
    replace_intraday,
    transaction,
)
from sensequant_assets_tests.support.zone_maps import zone_map_row_groups

KNOWN = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
MARCH, APRIL = dt.date(2024, 3, 1), dt.date(2024, 4, 1)


def candles(symbol: str, month: dt.date, interval: str = "1minute", price: float = 100.0):
    """A complete month of flat candles: the shape is what storage cares about."""
    stamps = month_candles(month.year, month.month, interval, KNOWN)
    count = len(stamps)
    return pd.DataFrame(
        {
            "symbol": symbol,
            "ts": stamps,
            **{c: np.full(count, price) for c in ("open", "high", "low", "close")},
            "volume": np.arange(count, dtype="int64"),
        }
    )


def write(warehouse: WarehouseResource, *parts: tuple[str, dt.date, str, pd.DataFrame]) -> None:
    writes = [intraday_partition(symbol, month, interval) for symbol, month, interval, _ in parts]
    with warehouse.get_connection() as conn, transaction(conn, writes):
        for symbol, month, interval, bars in parts:
            replace_intraday(conn, symbol, month, interval, "synthetic", bars)


def count(warehouse: WarehouseResource) -> dict[tuple[str, str, str], int]:
    with warehouse.get_connection() as conn:
        rows = conn.execute(
            "SELECT symbol, interval, strftime(ts, '%Y-%m'), count(*) FROM intraday_bars "
            "GROUP BY ALL"
        ).fetchall()
    return {(s, i, m): n for s, i, m, n in rows}


def test_a_month_replaces_only_itself_and_keeps_ist_stamps(warehouse: WarehouseResource) -> None:
    reliance = candles("RELIANCE", MARCH)
    write(
        warehouse,
        ("RELIANCE", MARCH, "1minute", reliance),
        ("RELIANCE", APRIL, "1minute", candles("RELIANCE", APRIL)),
        ("INFY", MARCH, "1minute", candles("INFY", MARCH)),
        ("RELIANCE", MARCH, "5minute", candles("RELIANCE", MARCH, "5minute")),
    )
    before = count(warehouse)
    assert before[("RELIANCE", "1minute", "2024-03")] == len(reliance) == 18 * 375 + 105
    write(warehouse, ("RELIANCE", MARCH, "1minute", reliance.assign(close=101.0)))
    assert count(warehouse) == before, "replaced in place: no duplicate, no other partition"
    with warehouse.get_connection() as conn:
        stored = read_intraday(conn, "RELIANCE", *month_span(MARCH), "1minute")
        first = conn.execute("SELECT min(ts) FROM intraday_bars WHERE symbol = 'INFY'").fetchone()
    assert first == (dt.datetime(2024, 3, 1, 9, 15),), "IST wall clock, never shifted to UTC"
    pd.testing.assert_series_equal(stored["ts"], reliance["ts"], check_names=False)
    assert stored["close"].eq(101.0).all()
    write(warehouse, ("INFY", MARCH, "1minute", candles("INFY", MARCH).iloc[0:0]))
    assert ("INFY", "1minute", "2024-03") not in count(warehouse)


def test_a_refresh_never_loses_a_stored_candle_unless_allowed(
    warehouse: WarehouseResource,
) -> None:
    full = candles("RELIANCE", MARCH)
    write(warehouse, ("RELIANCE", MARCH, "1minute", full))
    with warehouse.get_connection() as conn:
        stored = {
            key: set(frame["ts"])
            for key, frame in read_intraday_partitions(
                conn, [("RELIANCE", MARCH)], "1minute"
            ).items()
        }
    short = full[full["ts"] != pd.Timestamp("2024-03-05 10:00").tz_localize(full["ts"].dt.tz)]
    answers = {("RELIANCE", MARCH): FetchResult(short)}
    refused = settle_partitions(answers, stored, stamps=CANDLE_STAMPS)
    assert refused.failed[("RELIANCE", MARCH)].startswith(
        f"refused to shrink: the source answered {len(full) - 1} candle(s) where {len(full)} "
        "are stored; 1 stored candle(s) would disappear: 2024-03-05T10:00:00+05:30."
    )
    allowed = settle_partitions(answers, stored, allow_shrink=True, stamps=CANDLE_STAMPS)
    assert list(allowed.written) == [("RELIANCE", MARCH)]
    assert [f"{ts:%H:%M}" for ts in allowed.removed[("RELIANCE", MARCH)]] == ["10:00"]
    longer = settle_partitions(
        {("RELIANCE", MARCH): FetchResult(full)}, stored, stamps=CANDLE_STAMPS
    )
    assert not longer.failed


def lake_files_read(
    conn: duckdb.DuckDBPyConnection, symbol: str, start: dt.datetime, end: dt.datetime
) -> int:
    """Data files a DuckLake scan for `symbol` between `start` and `end` opened, as its profile
    reports them."""
    [(_, profile)] = conn.execute(
        "EXPLAIN ANALYZE SELECT count(*) FROM intraday_bars "
        "WHERE symbol = ? AND ts >= ? AND ts < ?",
        [symbol, start, end],
    ).fetchall()
    return int(re.search(r"Total Files Read: (\d+)", profile).group(1))


def test_a_symbol_day_reads_only_the_row_groups_holding_it(warehouse: WarehouseResource) -> None:
    """Partitions are appended whole and in time order, so every row group (122,880 rows) holds
    a few symbol-months and its zone maps exclude the rest; a replaced partition is appended at
    the end as compact."""
    symbols = [f"S{n:02d}" for n in range(8)]
    months = {dt.date(2024, m, 1): candles("", dt.date(2024, m, 1)) for m in range(1, 13)}
    write(
        warehouse,
        *[(s, m, "1minute", c.assign(symbol=s)) for m, c in months.items() for s in symbols],
    )
    day = dt.datetime(2024, 3, 12)
    for rewrite in (False, True):
        if rewrite:
            write(
                warehouse,
                ("S05", MARCH, "1minute", months[MARCH].assign(symbol="S05", close=101.0)),
            )
        with warehouse.get_connection() as conn:
            if warehouse.is_lake:
                # Each partition's write is a Parquet file of its own, and the catalog's per-file
                # min/max let the scan open only the one holding the day, before and after.
                assert lake_files_read(conn, "S05", day, day + dt.timedelta(days=1)) == 1
            else:
                conn.execute("CHECKPOINT")
                admitted, total = zone_map_row_groups(conn, "S05", day, day + dt.timedelta(days=1))
                # The day's own group (or two, where a partition straddles them), plus after a
                # rewrite the group that held the old rows: deleting them does not narrow its maps.
                assert total >= 5 and 1 <= admitted <= (3 if rewrite else 2), (
                    rewrite,
                    admitted,
                    total,
                )
            assert (
                len(read_intraday(conn, "S05", day, day + dt.timedelta(days=1), "1minute")) == 375
            )
