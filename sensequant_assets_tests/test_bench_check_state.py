"""The UI benchmark's seeded instance holds what a batched run of daily_bars' checks stores: each
partition's three results against its latest materialization, as the check grid reads them."""

import shutil
from pathlib import Path

import dagster as dg

from benchmarks.bench_ui import CHECKS, FAILING_EVERY, seed_check_results
from sensequant_assets.defs.partitions import symbol_year_partitions, years_partitions
from sensequant_assets.paths import REPO_ROOT
from sensequant_assets_tests.support.dagster_internals import partition_loading_context


def test_the_seeded_instance_draws_every_partition_in_the_check_grid(tmp_path: Path) -> None:
    shutil.copy(REPO_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    symbols, years = ["TCS", "INFY", "WIPRO"], years_partitions.get_partition_keys()[-3:]
    assert seed_check_results(tmp_path, symbols, years) == len(symbols) * len(years) * len(CHECKS)
    keys = [
        (dg.AssetCheckKey(dg.AssetKey("daily_bars"), check), symbol_year_partitions)
        for check in CHECKS
    ]
    with (
        dg.DagsterInstance.from_config(str(tmp_path)) as instance,
        partition_loading_context(dynamic_partitions_store=instance),
    ):
        states = instance.event_log_storage.get_asset_check_state(keys)
    every = {f"{symbol}|{year}" for symbol in symbols for year in years}
    failing = {
        f"{symbol}|{year}"
        for i, (symbol, year) in enumerate((s, y) for s in symbols for y in years)
        if i % FAILING_EVERY == 0
    }
    for key, state in states.items():
        grid = {
            status.value: set(subset.subset_value.get_partition_keys())
            for status, subset in state.subsets.items()
            if not subset.is_empty
        }
        if key.name == "coverage_check":
            assert grid == {"SUCCEEDED": every - failing, "FAILED": failing}
        else:
            assert grid == {"SUCCEEDED": every}
