"""The code location: everything under `defs/`, run in-process.

symbol_mapping -> daily_bars (symbol x year) -> coverage/integrity/plausibility checks
               -> teacher_labels -> teacher_model, plus the batch coverage_report; a sensor turns
new constituent lists into partitions and backfills (docs/architecture.md draws the graph).

Runs execute in-process: a run holds up to 100 partitions, and a process per step would cost
more than the steps themselves (docs/benchmarks.md). For the same reason the code server that
loads this location starts each run as a fork of a process that has already imported it, not as a
fresh interpreter (`dagster_internals.start_runs_from_preloaded_process`).
"""

from pathlib import Path

import dagster as dg

from sensequant_assets import dagster_internals


@dg.definitions
def defs() -> dg.Definitions:
    dagster_internals.start_runs_from_preloaded_process()
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(executor=dg.in_process_executor),
    )
