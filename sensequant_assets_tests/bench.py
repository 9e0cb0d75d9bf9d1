"""`make bench`: re-runnable benchmarks, each figure beside a baseline measured in the same run.

Absolute times drift between runs and machines; ratios against a baseline taken minutes apart on
the same machine hold. Every figure goes through the code paths users run. Writes
docs/benchmarks.md and docs/benchmarks.json. `--quick` shrinks every workload (a harness smoke
test, not figures to quote).
"""

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sensequant_assets.paths import REPO_ROOT

DOCS = REPO_ROOT / "docs"


@dataclass
class Figure:
    section: str
    figure: str
    value: float
    unit: str
    baseline: str
    baseline_value: float | None
    how: str
    target: str = ""
    higher_is_better: bool = False

    @property
    def ratio(self) -> str:
        """How many times better than the baseline (above 1× is better)."""
        if not self.baseline_value or not self.value:
            return ""
        better = (
            self.value / self.baseline_value
            if self.higher_is_better
            else (self.baseline_value / self.value)
        )
        return f"{better:.1f}×"


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def cold_start(quick: bool) -> list[Figure]:
    """Import of the code location, which every run process pays."""
    code = "import sensequant_assets.definitions"
    runs = 2 if quick else 5
    best = min(
        timed(lambda: subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT))[0]
        for _ in range(runs)
    )
    bare = min(
        timed(lambda: subprocess.run([sys.executable, "-c", "import dagster"], check=True))[0]
        for _ in range(runs)
    )
    profile = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    ).stderr
    direct_imports = []  # depth-1 imports of the code location: "|   name" after the column bar
    for line in profile.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        if name.startswith("   ") and not name.startswith("    "):
            direct_imports.append((int(cumulative), name.strip()))
    top = sorted(direct_imports, reverse=True)
    dominant = ", ".join(f"{name} {us / 1e6:.2f} s" for us, name in top[:3])
    return [
        Figure(
            "Cold start",
            "import sensequant_assets.definitions",
            best,
            "s",
            "import dagster alone",
            bare,
            f"best of {runs} fresh interpreters; top-level imports by cumulative time: {dominant}",
        )
    ]


def warehouse_writes(quick: bool) -> list[Figure]:
    """Rows per second replacing symbol-year partitions, against the original's per-day CSVs."""
    from sensequant_assets.ingestion.sources.synthetic import SyntheticSource
    from sensequant_assets.universe.reference import load_listing_dates
    from sensequant_assets.warehouse.resources import WarehouseResource
    from sensequant_assets.warehouse.storage import replace_bars, transaction

    source = SyntheticSource(load_listing_dates())
    symbols = [f"SYM{i:03d}" for i in range(5 if quick else 100)]
    frames = [
        source.fetch_year(source.lookup(s, s), year).bars
        for s in symbols
        for year in (2022, 2023, 2024)
    ]
    rows = sum(len(f) for f in frames)
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = WarehouseResource(database=f"{tmp}/bench.duckdb")

        def write_all() -> None:
            with warehouse.get_connection() as conn, transaction(conn):
                for frame in frames:
                    replace_bars(
                        conn, frame["symbol"].iloc[0], int(frame["date"].dt.year.iloc[0]), frame
                    )

        seconds, _ = timed(write_all)

        def write_csv_per_day() -> None:
            for frame in frames[:30]:
                folder = Path(tmp) / "historical" / frame["symbol"].iloc[0] / "1day"
                folder.mkdir(parents=True, exist_ok=True)
                for day, row in frame.groupby(frame["date"].dt.date):
                    row.to_csv(folder / f"{day}.csv", index=False)

        csv_rows = sum(len(f) for f in frames[:30])
        csv_seconds, _ = timed(write_csv_per_day)
    return [
        Figure(
            "Warehouse",
            "rows written per second (replace symbol-year partitions)",
            rows / seconds,
            "rows/s",
            "original: one CSV file per day",
            csv_rows / csv_seconds,
            f"{len(frames)} partitions, {rows} rows in one transaction into a fresh DuckDB file; "
            f"baseline wrote {csv_rows} rows as per-day CSVs like the original cache",
            higher_is_better=True,
        )
    ]


SECTIONS: dict[str, Callable[[bool], list[Figure]]] = {
    "cold_start": cold_start,
    "warehouse": warehouse_writes,
}


def render(figures: list[Figure], quick: bool, seconds: float) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `make bench{' --quick' if quick else ''}` on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {machine}, in {seconds:.0f} s. "
        "Ratio: how many times better than the baseline measured in the same run (above 1× is "
        "better).",
        "",
        "| section | figure | value | baseline | ratio | target | how measured |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        base = (
            f"{f.baseline}: {f.baseline_value:.3g}" if f.baseline_value is not None else f.baseline
        )
        lines.append(
            f"| {f.section} | {f.figure} | {f.value:.3g} {f.unit} | {base} | {f.ratio} | "
            f"{f.target} | {f.how} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny workloads: a harness smoke run")
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append")
    parser.add_argument("--out", type=Path, default=DOCS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures: list[Figure] = []
    for name in args.only or SECTIONS:
        print(f"bench: {name} ...", flush=True)
        figures += SECTIONS[name](args.quick)
    seconds = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (args.out / "benchmarks.md").write_text(render(figures, args.quick, seconds))
    (args.out / "benchmarks.json").write_text(
        json.dumps(
            {
                "quick": args.quick,
                "seconds": seconds,
                "bench_peak_rss_mb": peak,
                "figures": [asdict(f) | {"ratio": f.ratio} for f in figures],
            },
            indent=2,
        )
    )
    print(render(figures, args.quick, seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
