"""What the warehouse's read-only snapshots cost: publishing them, and reading them instead of
the warehouse file, on synthetic NIFTY-100-sized data (`python -m benchmarks.bench --only
snapshots`)."""

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.snapshots import connect_snapshots, publish, publish_all
from sensequant_assets.warehouse.storage import replace_bars, transaction
from sensequant_assets.warehouse.tables import DAILY_BARS

YEARS = (2022, 2023, 2024)
# A notebook's typical first question: a whole-table aggregate over every bar.
READ = "SELECT symbol, year(date), count(*), avg(close), sum(volume) FROM daily_bars GROUP BY ALL"


@dataclass(frozen=True)
class SnapshotCost:
    partitions: int
    rows: int
    write_s: float
    """Replacing every partition in one transaction: the step's own warehouse write."""
    publish_s: float
    """Publishing the same partitions by key, as the step does after its commit."""
    publish_all_s: float
    """`sensequant snapshots publish` of the whole warehouse."""
    warehouse_mb: float
    snapshot_mb: float
    read_warehouse_s: float
    read_snapshot_s: float

    @property
    def publish_per_partition_s(self) -> float:
        return self.publish_s / self.partitions


def _size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(f.stat().st_size for f in files) / 1e6


def _best_read(conn: duckdb.DuckDBPyConnection, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        conn.execute(READ).fetchall()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(n_symbols: int = 100) -> SnapshotCost:
    source = SyntheticSource()
    frames = {
        (symbol, year): source.fetch_year(source.lookup(symbol, symbol), year).bars
        for symbol in (f"SYM{i:03d}" for i in range(n_symbols))
        for year in YEARS
    }
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = WarehouseResource(database=f"{tmp}/bench.duckdb")
        root = Path(tmp) / "bench.snapshots"
        with warehouse.get_connection() as conn:
            started = time.perf_counter()
            with transaction(conn):
                for (symbol, year), bars in frames.items():
                    replace_bars(conn, symbol, year, bars)
            write_s = time.perf_counter() - started
            started = time.perf_counter()
            publish(conn, root, DAILY_BARS, list(frames))
            publish_s = time.perf_counter() - started
            started = time.perf_counter()
            publish_all(conn, root)
            publish_all_s = time.perf_counter() - started
            conn.execute("CHECKPOINT")
            read_warehouse_s = _best_read(conn)
        reader = connect_snapshots(root)
        read_snapshot_s = _best_read(reader)
        reader.close()
        return SnapshotCost(
            partitions=len(frames),
            rows=sum(len(bars) for bars in frames.values()),
            write_s=write_s,
            publish_s=publish_s,
            publish_all_s=publish_all_s,
            warehouse_mb=_size_mb(Path(warehouse.database)),
            snapshot_mb=_size_mb(root),
            read_warehouse_s=read_warehouse_s,
            read_snapshot_s=read_snapshot_s,
        )


if __name__ == "__main__":
    print(measure())
