"""The intraday_bars checks, one evaluation per partition of every run, as the daily grid has them.

The four run as one step over a run's partitions: one read of their candles and of the daily bars
of the same months. Session shapes (special sessions and their hours) come from
data/reference/sessions.csv and the bars across symbols, the calendar daily coverage reads.
"""

from collections.abc import Iterator
from functools import partial

import dagster as dg

from sensequant_assets.dagster_internals import latest_materializations
from sensequant_assets.defs.keys import INTRADAY_BARS
from sensequant_assets.defs.partitions import symbol_month_partitions
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.quality.evaluate import evaluate_month_symbols, read_month_evidence
from sensequant_assets.quality.intraday import (
    CLOSING_WINDOW,
    VOLUME_TOLERANCE,
)
from sensequant_assets.sources.intraday_batch import IntradaySettings
from sensequant_assets.universe.partitions import checked_month_symbols
from sensequant_assets.universe.reference import (
    SESSIONS_FILE,
    load_known_days,
    load_listing_dates,
)
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource

SESSIONS = dg.AssetCheckSpec(
    "intraday_sessions_check",
    asset=INTRADAY_BARS,
    description=(
        "Every session of the month has all its candles (375 at 1minute, 09:15-15:29 IST); "
        "special sessions and their hours from data/reference/sessions.csv, complete where "
        "present and never due where absent. A failure names the day and its first missing "
        "minute."
    ),
    partitions_def=symbol_month_partitions,
)
HOURS = dg.AssetCheckSpec(
    "intraday_hours_check",
    asset=INTRADAY_BARS,
    description=(
        "No candle starts outside its session's candles (a 15:45 candle, a candle on a "
        "holiday); names each offending minute."
    ),
    partitions_def=symbol_month_partitions,
)
INTEGRITY = dg.AssetCheckSpec(
    "intraday_integrity_check",
    asset=INTRADAY_BARS,
    description=(
        "One candle per minute with no nulls, positive prices, low <= open, close <= high and "
        "a whole, non-negative volume."
    ),
    partitions_def=symbol_month_partitions,
)
CONSISTENCY = dg.AssetCheckSpec(
    "intraday_daily_consistency_check",
    asset=INTRADAY_BARS,
    description=(
        "Warns where a day's candles disagree with its daily_bars row: high and low to a tick, "
        f"volume within {VOLUME_TOLERANCE:.0%}, and the daily close within the low-high of the "
        f"last {CLOSING_WINDOW.seconds // 60} minutes (NSE's close is their weighted average)."
    ),
    partitions_def=symbol_month_partitions,
)
SPECS = (SESSIONS, HOURS, INTEGRITY, CONSISTENCY)


@dg.multi_asset_check(
    specs=list(SPECS),
    name="intraday_bars_checks",
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def intraday_bars_checks(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    paths: ProjectPaths,
    intraday: IntradaySettings,
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    keys = list(context.partition_keys)
    wanted = checked_month_symbols(keys)
    interval = intraday.interval
    reference = load_known_days(paths.reference / SESSIONS_FILE)
    listings = load_listing_dates(paths.listings_file)
    with warehouse.get_connection() as conn:
        evidence = read_month_evidence(conn, wanted, interval, reference)
    quality = evaluate_month_symbols(evidence, keys, wanted, interval, listings)
    targets = latest_materializations(context.instance, INTRADAY_BARS, keys)
    selected = {check_key.name for check_key in context.selected_asset_check_keys}
    for key, result in zip(keys, quality, strict=True):
        evaluation = partial(
            dg.AssetCheckEvaluation,
            asset_key=INTRADAY_BARS,
            partition=key,
            target_materialization_data=targets.get(key),
        )
        for spec, verdict, severity in (
            (SESSIONS, result.sessions, dg.AssetCheckSeverity.ERROR),
            (HOURS, result.hours, dg.AssetCheckSeverity.ERROR),
            (INTEGRITY, result.integrity, dg.AssetCheckSeverity.ERROR),
            (CONSISTENCY, result.consistency, dg.AssetCheckSeverity.WARN),
        ):
            if spec.name in selected:
                yield evaluation(
                    check_name=spec.name,
                    passed=verdict.passed,
                    severity=severity,
                    description=verdict.describe(),
                    metadata=verdict.metadata(),
                )
    for spec in SPECS:
        if spec.name in selected:
            yield dg.Output(None, output_name=spec.get_python_identifier())
