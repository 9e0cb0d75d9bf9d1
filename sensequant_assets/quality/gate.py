"""The gate between bars and the teacher: no labels or models from bars that failed an ERROR check.

`blocking=True` stops downstream steps of the same run only, and the teacher assets never share
a run with `daily_bars` (different partitionings). So the teacher asks here, at its own run time,
and the answer is recomputed from the warehouse with the checks' own functions: it holds however
the run was started (manual, backfill, sensor, automation) and whether or not the checks ran,
with the same calendar corrections (the reference file and the bars' evidence) the checks apply.
"""

import datetime as dt
from collections.abc import Mapping, Sequence

import duckdb

from sensequant_assets.market.calendar import KnownDays
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.quality.evaluate import (
    evaluate_symbol_years,
    mapping_problems,
    read_calendar_evidence,
    read_partition_bars,
)
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days
from sensequant_assets.warehouse.storage import stored_years


def blocking_failures(
    conn: duckdb.DuckDBPyConnection,
    symbol: str,
    listings: Mapping[str, dt.date],
    now: dt.datetime | None = None,
    years: Sequence[int] | None = None,
    reference: KnownDays | None = None,
) -> list[str]:
    """Failed ERROR checks of `symbol`, one human message each naming the check and partition.

    `years` defaults to every daily_bars partition written for the symbol (the years the teacher
    reads); a year never materialized is not judged, but a materialized, empty one is.
    `reference` is the deployment's sessions.csv (`load_known_days(paths.reference / ...)`);
    without it, the project's checked-in file.
    """
    failures = []
    problem = mapping_problems(conn, [symbol])[symbol]
    if problem:
        failures.append(f"mapping_check failed for {symbol}: {problem}")
    years = list(years or stored_years(conn, symbol))
    if not years and not problem:
        failures.append(
            f"no daily_bars partition of {symbol} has been materialized; materialize "
            f"daily_bars for {symbol} (every year) before its teacher"
        )
    wanted = [(symbol, year) for year in years]
    data = read_partition_bars(conn, wanted)
    if reference is None:
        reference = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
    evidence = read_calendar_evidence(conn, years, reference, now)
    for result in evaluate_symbol_years(data, wanted, listings, evidence.known, now):
        # An unmapped symbol has no bars by construction: its mapping failure says why.
        if not result.coverage.passed and not problem:
            failures.append(
                f"coverage_check failed for {result.partition}: {result.coverage.describe()}"
            )
        if not result.integrity.passed:
            failures.append(
                f"integrity_check failed for {result.partition}: {result.integrity.describe()}"
            )
    return failures
