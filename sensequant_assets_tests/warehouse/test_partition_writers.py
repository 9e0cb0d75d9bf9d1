"""One writer per partition, always: two processes writing the same partition at once (a new
one, an existing one; daily_bars and intraday_bars; the DuckDB file and a DuckLake) leave it
whole and held once.

DuckLake detects a conflict only when two transactions delete from one data file; a partition
with no rows yet has none, so before the partition locks (`lake.writer`) two runs writing it
both committed: every session twice, two bar_partitions rows. On the DuckDB file the file's
single-writer lock serializes the processes.

Each round releases two long-lived writer processes at once; `WRITER_RACE_REPEATS` sets the
rounds (default 5; `WRITER_RACE_REPEATS=20` for the record in docs/reliability.md).
"""

import os
import subprocess
from collections.abc import Iterator

import pytest

from sensequant_assets.warehouse import storage
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.quality.factories import bars_for
from sensequant_assets_tests.warehouse.test_intraday_storage import MARCH, candles
from sensequant_assets_tests.warehouse.test_lake import warehouse_process
from sensequant_assets_tests.warehouse.test_storage import DAYS_2023

REPEATS = int(os.environ.get("WRITER_RACE_REPEATS", "5"))

# Reads what is stored, as the assets do before they settle an answer, then replaces the
# partition; the pause between the read and the write is a real run's settling, widened.
WRITER = """
import sys, time
from sensequant_assets.warehouse import lake, storage
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.quality.factories import bars_for
from sensequant_assets_tests.warehouse.test_intraday_storage import MARCH, candles
from sensequant_assets_tests.warehouse.test_storage import DAYS_2023

warehouse = WarehouseResource.model_validate_json(sys.argv[1])
with warehouse.get_connection():
    pass  # attached once, as a run's first step does
print("ready", flush=True)
for line in sys.stdin:
    table, symbol, close = line.split()
    try:
        for attempt in lake.conflict_retries(first_wait_seconds=0.01):
            with attempt, warehouse.get_connection() as conn:
                if table == "daily_bars":
                    partition = storage.bars_partition(symbol, 2023)
                    with storage.transaction(conn, [partition]):
                        storage.stored_bar_dates(conn, [(symbol, 2023)])
                        time.sleep(0.05)
                        bars = bars_for(symbol, DAYS_2023, close=float(close))
                        storage.replace_bars(conn, symbol, 2023, bars)
                else:
                    partition = storage.intraday_partition(symbol, MARCH, "30minute")
                    with storage.transaction(conn, [partition]):
                        storage.read_intraday_partitions(conn, [(symbol, MARCH)], "30minute")
                        time.sleep(0.05)
                        bars = candles(symbol, MARCH, "30minute", float(close))
                        storage.replace_intraday(conn, symbol, MARCH, "30minute", "synthetic", bars)
        print("ok", flush=True)
    except Exception as exc:
        print("failed", type(exc).__name__, " ".join(str(exc).split()), flush=True)
"""


@pytest.fixture
def writers(any_warehouse: WarehouseResource) -> Iterator[list[subprocess.Popen[str]]]:
    racing = any_warehouse.model_copy(update={"lock_timeout_seconds": 60})
    processes = [warehouse_process(WRITER, racing) for _ in range(2)]
    try:
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            assert line == "ready", process.communicate(timeout=30)[1][-2000:]
        yield processes
    finally:
        for process in processes:
            process.kill()
            process.communicate(timeout=30)


def race(processes: list[subprocess.Popen[str]], table: str, symbol: str) -> list[str]:
    """Both writers told at once to write `symbol`'s partition (closes 1.0 and 2.0)."""
    for close, process in enumerate(processes, start=1):
        assert process.stdin is not None
        process.stdin.write(f"{table} {symbol} {close}\n")
        process.stdin.flush()
    return [process.stdout.readline().strip() for process in processes if process.stdout]


def held(warehouse: WarehouseResource, table: str, symbol: str) -> tuple[int, int, int, int]:
    """(rows, distinct keys, distinct closes, bar_partitions rows) of `symbol`'s partition."""
    with warehouse.get_connection() as conn:
        if table == "daily_bars":
            rows, keys, closes = conn.execute(
                "SELECT count(*), count(DISTINCT date), count(DISTINCT close) FROM daily_bars "
                "WHERE symbol = ?",
                [symbol],
            ).fetchone()
            recorded = conn.execute(
                "SELECT count(*) FROM bar_partitions WHERE symbol = ? AND year = 2023", [symbol]
            ).fetchone()[0]
            return rows, keys, closes, recorded
        rows, keys, closes = conn.execute(
            "SELECT count(*), count(DISTINCT ts), count(DISTINCT close) FROM intraday_bars "
            "WHERE symbol = ?",
            [symbol],
        ).fetchone()
        return rows, keys, closes, 1


def expected(table: str) -> int:
    if table == "daily_bars":
        return len(DAYS_2023)
    return len(candles("X", MARCH, "30minute"))


@pytest.mark.slow
@pytest.mark.parametrize("table", ["daily_bars", "intraday_bars"])
def test_two_processes_writing_one_partition_leave_it_whole_and_held_once(
    any_warehouse: WarehouseResource, writers: list[subprocess.Popen[str]], table: str
) -> None:
    """Each round: a new partition, then the same partition again (existing); both writers
    succeed, one after the other, and the partition holds every row once, of one writer."""
    count = expected(table)
    for round_ in range(REPEATS):
        for phase in ("new", "existing"):
            symbol = f"R{round_:02d}"
            outcomes = race(writers, table, symbol)
            assert outcomes == ["ok", "ok"], (round_, phase, outcomes)
            assert held(any_warehouse, table, symbol) == (count, count, 1, 1), (round_, phase)


def test_a_write_of_an_undeclared_partition_is_refused_on_the_lake(
    lake_warehouse: WarehouseResource,
) -> None:
    """The lock is taken from the declaration, so replacing a partition the transaction did not
    declare would write it unlocked: refused, naming what to declare, nothing stored."""

    with (
        pytest.raises(RuntimeError, match=r"partition AAA\|2023 of daily_bars .* did not declare"),
        lake_warehouse.get_connection() as conn,
        storage.transaction(conn, [storage.bars_partition("BBB", 2023)]),
    ):
        storage.replace_bars(conn, "AAA", 2023, bars_for("AAA", DAYS_2023))
    with lake_warehouse.get_connection() as conn:
        assert conn.execute("SELECT count(*) FROM daily_bars").fetchone() == (0,)
