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
from sensequant_assets.warehouse.storage import stored_years, symbol_reads


def blocking_failures(
    conn: duckdb.DuckDBPyConnection,
    symbols: Sequence[str],
    listings: Mapping[str, dt.date],
    now: dt.datetime | None = None,
    years: Sequence[int] | None = None,
    reference: KnownDays | None = None,
) -> dict[str, list[str]]:
    """Failed ERROR checks of each of `symbols` (an empty list where none), one human message
    each naming the check and partition.

    `years` defaults to every daily_bars partition written for the symbol (the years the teacher
    reads); a year never materialized is not judged, but a materialized, empty one is.
    `reference` is the deployment's sessions.csv (`load_known_days(paths.reference / ...)`);
    without it, the project's checked-in file.

    Every symbol is judged in one pass because the calendar's evidence is every stored symbol's
    bars of those years: asked a symbol at a time, it read the whole daily_bars table twice per
    symbol, which on NIFTY 500 x 10 years on a DuckLake kept the universe model's gate alone
    busy for minutes.
    """
    symbols = list(symbols)
    problems = mapping_problems(conn, symbols)
    written = stored_years(conn, symbols)
    judged = {symbol: list(years or written[symbol]) for symbol in symbols}
    failures: dict[str, list[str]] = {}
    for symbol in symbols:
        failures[symbol] = []
        if problem := problems[symbol]:
            failures[symbol].append(f"mapping_check failed for {symbol}: {problem}")
        elif not judged[symbol]:
            failures[symbol].append(
                f"no daily_bars partition of {symbol} has been materialized; materialize "
                f"daily_bars for {symbol} (every year) before its teacher"
            )
    if reference is None:
        reference = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
    evidence = read_calendar_evidence(
        conn, {year for wanted in judged.values() for year in wanted}, reference, now
    )
    for read in symbol_reads(symbols):
        wanted = [(symbol, year) for symbol in read for year in judged[symbol]]
        data = read_partition_bars(conn, wanted)
        for (symbol, _), result in zip(
            wanted, evaluate_symbol_years(data, wanted, listings, evidence.known, now), strict=True
        ):
            # An unmapped symbol has no bars by construction: its mapping failure says why.
            if not result.coverage.passed and not problems[symbol]:
                failures[symbol].append(
                    f"coverage_check failed for {result.partition}: {result.coverage.describe()}"
                )
            if not result.integrity.passed:
                failures[symbol].append(
                    f"integrity_check failed for {result.partition}: {result.integrity.describe()}"
                )
    return failures
