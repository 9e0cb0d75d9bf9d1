"""A simulated month of evenings on one instance: how much the Dagster instance grows.

Each simulated NSE evening runs what a deployment runs by itself: current_year_refresh's runs
(`bars_job` over symbols x the current year, with its checks), the freshness run at the cut-off,
and one teacher run over the refreshed symbols (what the automation sensor asks for after a
refresh). In-process, against a throw-away DAGSTER_HOME holding the project's dagster.yaml, on
the synthetic source pinned to each evening. The figure is the instance folder's size (SQLite
run, event-log and schedule storage) after the batch and after every evening; sensor and
automation ticks are not simulated (dagster.yaml's retention bounds them).

The teacher's quality gate judges the still-open year by the real clock, which this simulation
moves back, so it is stood in (always passes); its cost is a warehouse read, no event.
"""

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

import dagster as dg

from sensequant_assets.definitions import defs
from sensequant_assets.defs.ingestion.jobs import bars_job
from sensequant_assets.defs.keys import JUDGED_AT_TAG
from sensequant_assets.defs.teacher import assets as teacher_assets
from sensequant_assets.market.calendar import IST, trading_days
from sensequant_assets.paths import REFERENCE_DIR, REPO_ROOT, ProjectPaths
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.universe.partitions import range_tags, symbol_year_key
from sensequant_assets.warehouse.resources import WarehouseResource


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def simulate(n_symbols: int, evenings: int) -> dict[str, object]:
    teacher_assets.blocking_failures = lambda *args, **kwargs: []
    last = dt.date.today() - dt.timedelta(days=1)
    sessions = [d for d in trading_days(last.year) if d <= last][-(evenings + 1) :]
    symbols = [f"SYM{n:03d}" for n in range(n_symbols)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        (root / "home" / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
        loaded = defs()
        resources = {
            "warehouse": WarehouseResource(database=str(root / "warehouse.duckdb")),
            "paths": ProjectPaths(
                reference_dir=str(REFERENCE_DIR), models_dir=str(root / "models")
            ),
            "teacher": TeacherSettings(iterations=30, depth=3),
        }
        sizes = []
        started = time.monotonic()
        with dg.instance_for_test(temp_dir=str(root / "home")) as instance:
            instance.add_dynamic_partitions("symbols", symbols)

            def run(job: str, tags: dict[str, str], evening: dt.date) -> None:
                source = SyntheticSource(
                    as_of=dt.datetime.combine(evening, dt.time(18), IST).isoformat()
                )
                result = loaded.resolve_job_def(job).execute_in_process(
                    instance=instance,
                    tags=tags,
                    resources={**resources, "bar_source": source},
                    raise_on_error=False,
                )
                assert result.success, job

            first, final = symbols[0], symbols[-1]
            batch = sessions[0]
            run("reference_job", {}, batch)
            run("mapping_job", range_tags(first, final), batch)
            years = range_tags(
                symbol_year_key(first, batch.year - 2), symbol_year_key(final, batch.year)
            )
            run(bars_job.name, years, batch)
            run("teacher_job", range_tags(first, final), batch)
            sizes.append(folder_bytes(root / "home"))
            for evening in sessions[1:]:
                current = range_tags(
                    symbol_year_key(first, evening.year), symbol_year_key(final, evening.year)
                )
                run(bars_job.name, current, evening)
                cut_off = dt.datetime.combine(evening, dt.time(20), IST).isoformat()
                run("freshness_job", {JUDGED_AT_TAG: cut_off}, evening)
                run("teacher_job", range_tags(first, final), evening)
                sizes.append(folder_bytes(root / "home"))
            runs = len(instance.get_run_records())
            parts = {
                str(folder.relative_to(root / "home")): folder_bytes(folder)
                for folder in sorted((root / "home").rglob("*"))
                if folder.is_dir() and len(folder.relative_to(root / "home").parts) == 1
            }
            parts["history/runs"] = folder_bytes(root / "home" / "history" / "runs")
    growth = (sizes[-1] - sizes[0]) / max(evenings, 1)
    return {
        "symbols": n_symbols,
        "evenings": evenings,
        "runs": runs,
        "instance_bytes_after_batch": sizes[0],
        "instance_bytes_after_month": sizes[-1],
        "bytes_per_evening": round(growth),
        "bytes_per_symbol_evening": round(growth / n_symbols),
        "bytes_by_folder_after_month": parts,
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--evenings", type=int, default=22)
    args = parser.parse_args()
    print(json.dumps(simulate(args.symbols, args.evenings), indent=2))


if __name__ == "__main__":
    main()
