"""`make demo`: the demo batch end to end, in-process, recorded in the project's Dagster instance.

Each stage is one job run per contiguous range of the batch's partitions (the same batched runs a
backfill launches), so the UI shows every materialization and check result afterwards.
"""

import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from sensequant_assets.defs.partitions import symbols_partitions, years_partitions
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.profiles import project_instance
from sensequant_assets.universe.constituents import ConstituentList, read_constituent_file
from sensequant_assets.universe.partitions import BATCH_TAG, contiguous_ranges, range_tags
from sensequant_assets.warehouse.storage import read_bars

# Runs print their event log at WARNING and above; the stage lines carry the progress.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def register_symbols(instance: dg.DagsterInstance, symbols: tuple[str, ...]) -> list[str]:
    """Add the symbols that are not partitions yet; return those added."""
    known = set(instance.get_dynamic_partitions(symbols_partitions.name))
    new = [s for s in symbols if s not in known]
    if new:
        instance.add_dynamic_partitions(symbols_partitions.name, new)
    return new


def run_batch(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    batch: ConstituentList,
    say: Callable[[str], None] = print,
) -> dict[str, object]:
    """Map, ingest and check, report, then label and train one constituent list."""
    started = time.monotonic()
    added = register_symbols(instance, batch.symbols)
    say(f"batch {batch.batch}: {len(batch.symbols)} symbols ({len(added)} new partitions)")
    for bad in batch.bad_lines:
        say(f"  skipped bad line {bad}")
    symbol_ranges = contiguous_ranges(
        instance.get_dynamic_partitions(symbols_partitions.name), batch.symbols
    )
    years = years_partitions.get_partition_keys()
    year_ranges = [(f"{a}|{years[0]}", f"{b}|{years[-1]}") for a, b in symbol_ranges]
    by_symbol = [range_tags(first, last) for first, last in symbol_ranges]
    stages = [
        ("corporate_actions + universe_membership", "reference_job", [{}]),
        ("symbol_mapping", "mapping_job", by_symbol),
        ("daily_bars + checks", "bars_job", [range_tags(a, b) for a, b in year_ranges]),
        ("coverage_report", "report_job", [{}]),
        ("teacher_labels + teacher_model", "teacher_job", by_symbol),
        ("teacher_universe_model", "universe_job", [{}]),
    ]
    results: list[dg.ExecuteInProcessResult] = []
    for number, (label, job_name, runs) in enumerate(stages, start=1):
        stage_started = time.monotonic()
        job = defs.resolve_job_def(job_name)
        stage_results = [
            job.execute_in_process(
                run_config=QUIET,
                instance=instance,
                tags={**tags, BATCH_TAG: batch.batch},
                raise_on_error=False,
            )
            for tags in runs
        ]
        results += stage_results
        ok = all(r.success for r in stage_results)
        say(
            f"[{number}/{len(stages)}] {label}: {len(stage_results)} run(s), "
            f"{'ok' if ok else 'FAILED'} in {time.monotonic() - stage_started:.1f} s"
        )
        for failed in (r for r in stage_results if not r.success):
            for event in failed.all_events:
                if event.is_step_failure:
                    say(f"    {event.step_key}: {event.event_specific_data.error.message.strip()}")
    return summarize(results, time.monotonic() - started)


def summarize(results: list[dg.ExecuteInProcessResult], seconds: float) -> dict[str, object]:
    materialized = Counter[str]()
    checks = Counter[str]()
    failed_checks: list[str] = []
    for result in results:
        for event in result.all_events:
            if event.event_type_value == "ASSET_MATERIALIZATION":
                materialized[event.asset_key.to_user_string()] += 1
            elif event.event_type_value == "ASSET_CHECK_EVALUATION":
                evaluation = event.event_specific_data
                outcome = "passed" if evaluation.passed else evaluation.severity.value.lower()
                checks[outcome] += 1
                if not evaluation.passed:
                    where = f"[{evaluation.partition}]" if evaluation.partition else ""
                    failed_checks.append(f"{evaluation.check_name}{where} ({outcome})")
    return {
        "runs": len(results),
        "runs_failed": sum(not r.success for r in results),
        "materialized": dict(materialized),
        "checks": dict(checks),
        "failed_checks": failed_checks,
        "seconds": round(seconds, 1),
    }


def stored_rows(defs: dg.Definitions, symbols: tuple[str, ...]) -> int:
    warehouse = defs.resources["warehouse"].process_config_and_initialize()
    with warehouse.get_connection() as conn:
        return len(read_bars(conn, symbols))


def main(list_path: Path | None = None) -> int:
    home = project_instance()  # this profile's instance, from any shell; DAGSTER_HOME wins
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        warnings.simplefilter("ignore", dg.PreviewWarning)
        from sensequant_assets.definitions import defs as load_definitions

        defs = load_definitions()
    paths: ProjectPaths = defs.resources["paths"].process_config_and_initialize()
    batch = read_constituent_file(list_path or paths.constituents / "demo.txt")
    with dg.DagsterInstance.get() as instance:
        summary = run_batch(defs, instance, batch)
    checks: dict[str, int] = summary["checks"]  # type: ignore[assignment]
    print("\nSummary")
    for asset, count in summary["materialized"].items():  # type: ignore[union-attr]
        print(f"  {asset}: {count} partitions materialized")
    print(f"  daily_bars rows in the warehouse for this batch: {stored_rows(defs, batch.symbols)}")
    print(
        f"  checks: {checks.get('passed', 0)} passed, {checks.get('error', 0)} failed, "
        f"{checks.get('warn', 0)} warnings"
    )
    for failed in summary["failed_checks"]:  # type: ignore[union-attr]
        print(f"    {failed}")
    print(f"  runs: {summary['runs']} ({summary['runs_failed']} failed), {summary['seconds']} s")
    print(f"  recorded in the Dagster instance {home}")
    print("  open the Dagster UI with `make ui` (or `dg dev`) to read every result")
    return 1 if summary["runs_failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
