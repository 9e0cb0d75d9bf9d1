"""A real run process for the fault tests: `python -m sensequant_assets_tests.faults.run_child`.

It materializes symbol_mapping and then daily_bars for `symbols` x `year` with `dg.materialize`
on the Dagster instance in DAGSTER_HOME (or an ephemeral one) and the warehouse given, once per
generation. Each generation's bars carry the generation number as their volume, so the parent
can tell old rows from new ones after killing this process. Product code is untouched: the only
wrapping is of `replace_bars` as the asset module imported it, in this process only.

Lines on stdout (flushed) let the parent follow it: `BEGIN g` and `END g` around generation g's
write transaction (END once it committed), `COMMITTED g` when that run succeeded, and
`FAILED g <message>` otherwise.
"""

import argparse
import json
import os
import resource
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import pandas as pd

from sensequant_assets.defs.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources import ingest as assets_module
from sensequant_assets.sources.base import BarSource, FetchResult, SymbolMapping
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets.warehouse import storage
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.conftest import FIXED_NOW


class GenerationSource(SyntheticSource):
    """Synthetic bars whose volume is the generation number: old and new rows differ."""

    generation: int = 0

    def fetch_year(self, mapping: SymbolMapping, year: int) -> FetchResult:
        result = super().fetch_year(mapping, year)
        return FetchResult(result.bars.assign(volume=self.generation), result.stats)

    # The assets ask for each symbol's years at once; the base class answers year by year.
    fetch_years = BarSource.fetch_years


def generation_source(generation: int) -> GenerationSource:
    return GenerationSource(as_of=FIXED_NOW.isoformat(), generation=generation)


def say(line: str) -> None:
    print(line, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", required=True, help="the WarehouseResource, as JSON")
    parser.add_argument("--symbols", required=True, help="comma-separated")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--generations", type=int, default=1, help="0: until killed")
    parser.add_argument("--first-generation", type=int, default=1)
    parser.add_argument("--lock-timeout", type=float, default=60.0)
    parser.add_argument(
        "--kill-self-after",
        type=int,
        default=None,
        help="in the last generation, SIGKILL this process after replacing this many partitions "
        "and deleting the next one's rows, before the transaction commits",
    )
    parser.add_argument(
        "--disk-full-at-last",
        action="store_true",
        help="before the last generation, cap this process's file writes at 1 byte "
        "(RLIMIT_FSIZE, which binds root too): every write to the warehouse then fails",
    )
    args = parser.parse_args()
    symbols = args.symbols.split(",")
    source = generation_source(0)
    warehouse = WarehouseResource(
        **{**json.loads(args.warehouse), "lock_timeout_seconds": args.lock_timeout}
    )
    resources = {"warehouse": warehouse, "bar_source": source, "paths": ProjectPaths()}
    writes: list[str] = []
    kill_armed = False

    def replace_bars(conn, symbol: str, year: int, bars: pd.DataFrame) -> None:
        writes.append(symbol)
        if kill_armed and len(writes) > args.kill_self_after:
            storage.replace_bars(conn, symbol, year, bars.iloc[0:0])  # the DELETE half only
            os.kill(os.getpid(), signal.SIGKILL)
        storage.replace_bars(conn, symbol, year, bars)

    real_transaction = assets_module.transaction

    @contextmanager
    def transaction(conn, writes=()) -> Iterator[None]:
        say(f"BEGIN {source.generation}")
        with real_transaction(conn, writes):
            yield
        say(f"END {source.generation}")

    assets_module.replace_bars = replace_bars
    assets_module.transaction = transaction
    instance = dg.DagsterInstance.get() if "DAGSTER_HOME" in os.environ else None
    instance = instance or dg.DagsterInstance.ephemeral()
    known = set(instance.get_dynamic_partitions("symbols"))
    instance.add_dynamic_partitions("symbols", [s for s in symbols if s not in known])
    mapped = dg.materialize(
        [symbol_mapping],
        instance=instance,
        resources=resources,
        tags=range_tags(symbols[0], symbols[-1]),
        raise_on_error=False,
    )
    if not mapped.success:
        say(f"FAILED 0 {_failure(mapped)}")
        return 1
    generation = args.first_generation
    last = args.first_generation + args.generations - 1 if args.generations else None
    while last is None or generation <= last:
        source = generation_source(generation)
        resources["bar_source"] = source
        writes.clear()
        kill_armed = args.kill_self_after is not None and generation == last
        if args.disk_full_at_last and generation == last:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death
            resource.setrlimit(resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
        result = dg.materialize(
            [daily_bars, symbol_mapping.to_source_asset()],
            instance=instance,
            resources=resources,
            selection=[daily_bars],
            raise_on_error=False,
            tags=range_tags(f"{symbols[0]}|{args.year}", f"{symbols[-1]}|{args.year}"),
        )
        if not result.success:
            say(f"FAILED {generation} {_failure(result)}")
            return 1
        say(f"COMMITTED {generation}")
        generation += 1
    return 0


def _failure(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.is_step_failure]
    if not failures:
        return "run failed without a step failure"
    error = failures[0].event_specific_data.error
    return " | ".join(
        part.message.replace("\n", " ") for part in (error, error.cause) if part is not None
    )


if __name__ == "__main__":
    sys.exit(main())
