"""Asset checks users read in the UI's check grid, one result per partition of every run.

A range run (backfill policy multi_run) carries many partitions; a plain check result in such a
run is recorded without a partition and the UI shows SKIPPED. So each check yields one
AssetCheckEvaluation per partition, pointing at that partition's latest materialization (the UI
hides evaluations without it), then one Output(None) per check.

The three daily_bars checks run as one step: one warehouse read and one event-log lookup serve
all three (see docs/benchmarks.md for the cost per partition). Coverage applies the calendar's
corrections from data/reference/sessions.csv and from the bars of every stored symbol of the run's
years (quality.sessions); plausibility judges moves after data/reference/corporate_actions.csv.
What the bars say about the calendar is reported once per batch, by calendar_evidence_check on
coverage_report. How fresh daily_bars is, on the same calendar, is freshness_check: it runs with
every bars run and on its own at the evening cut-off (freshness_schedule).
"""

import datetime as dt
from collections.abc import Iterator
from functools import partial

import dagster as dg

from sensequant_assets.alerts import AlertsResource
from sensequant_assets.dagster_internals import latest_materializations
from sensequant_assets.defs.keys import COVERAGE_REPORT, DAILY_BARS, JUDGED_AT_TAG, SYMBOL_MAPPING
from sensequant_assets.defs.partitions import symbol_year_partitions, symbols_partitions
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.quality.coverage import coverage_description
from sensequant_assets.quality.evaluate import (
    evaluate_symbol_years,
    freshness_evidence,
    mapping_problems,
    read_calendar_evidence,
    read_partition_bars,
)
from sensequant_assets.quality.freshness import (
    FRESHNESS_CUTOFF,
    overdue_partitions,
    universe_description,
    universe_verdict,
)
from sensequant_assets.quality.plausibility import PlausibilityThresholds, check_plausibility
from sensequant_assets.quality.sessions import MIN_WITNESSES, SESSION_SHARE
from sensequant_assets.universe.partitions import checked_symbol_years, checked_symbols
from sensequant_assets.universe.reference import (
    CORPORATE_ACTIONS_FILE,
    SESSIONS_FILE,
    load_corporate_actions,
    load_known_days,
    load_listing_dates,
)
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource
from sensequant_assets.warehouse.storage import latest_bar_dates

COVERAGE = dg.AssetCheckSpec(
    "coverage_check",
    asset=DAILY_BARS,
    description=(
        "Every NSE session of the year, from the listing date to the last completed session, "
        "has a bar; special sessions are reported and bars on other days fail. Sessions are "
        "exchange_calendars' XBOM (weekdays beyond its horizon), corrected by "
        "data/reference/sessions.csv and by the bars of all stored symbols: a day outside the "
        f"calendar on which more than {SESSION_SHARE:.0%} of the symbols covering it have bars "
        "is a session, a calendar day on which none has a bar is a holiday (judged when at least "
        f"{MIN_WITNESSES} symbols cover the day)."
    ),
    partitions_def=symbol_year_partitions,
)
INTEGRITY = dg.AssetCheckSpec(
    "integrity_check",
    asset=DAILY_BARS,
    description=(
        "One bar per date with no nulls, positive prices, low <= open, close <= high and a "
        "whole, non-negative volume."
    ),
    partitions_def=symbol_year_partitions,
)
PLAUSIBILITY = dg.AssetCheckSpec(
    "plausibility_check",
    asset=DAILY_BARS,
    description=(
        "Warns on day-over-day close moves beyond the limit (50 %) and volumes beyond a "
        "multiple (3x) of their trailing median, after the splits, bonuses and adjustments of "
        "data/reference/corporate_actions.csv: a jump an action accounts for is explained."
    ),
    partitions_def=symbol_year_partitions,
)
CALENDAR_EVIDENCE = dg.AssetCheckSpec(
    "calendar_evidence_check",
    asset=COVERAGE_REPORT,
    description=(
        "Warns, once per batch, on each day the bars show the calendar gets wrong (a session "
        "most symbols traded that it lacks, a listed session no symbol traded), with the line "
        "to add to data/reference/sessions.csv."
    ),
)


FRESHNESS_JOB = "freshness_job"


class PlausibilityConfig(dg.Config):
    """Thresholds of the plausibility warning (Qlib's data-health defaults)."""

    max_close_move: float = PlausibilityThresholds.max_close_move
    max_volume_ratio: float = PlausibilityThresholds.max_volume_ratio
    volume_window: int = PlausibilityThresholds.volume_window


@dg.multi_asset_check(
    specs=[COVERAGE, INTEGRITY, PLAUSIBILITY],
    name="daily_bars_checks",
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def daily_bars_checks(
    context: dg.AssetCheckExecutionContext,
    config: PlausibilityConfig,
    warehouse: WarehouseResource,
    paths: ProjectPaths,
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    keys = list(context.partition_keys)
    wanted = checked_symbol_years(keys)
    reference = load_known_days(paths.reference / SESSIONS_FILE)
    actions = load_corporate_actions(paths.reference / CORPORATE_ACTIONS_FILE)
    with warehouse.get_connection() as conn:
        bars = read_partition_bars(conn, wanted)
        unmapped = mapping_problems(conn, sorted({symbol for symbol, _ in wanted}))
        evidence = read_calendar_evidence(conn, {year for _, year in wanted}, reference)
    listings = load_listing_dates(paths.listings_file)
    quality = evaluate_symbol_years(bars, wanted, listings, evidence.known)
    targets = latest_materializations(context.instance, DAILY_BARS, keys)
    selected = {check_key.name for check_key in context.selected_asset_check_keys}
    thresholds = PlausibilityThresholds(**config.model_dump())
    for key, (symbol, year), result in zip(keys, wanted, quality, strict=True):
        evaluation = partial(
            dg.AssetCheckEvaluation,
            asset_key=DAILY_BARS,
            partition=key,
            target_materialization_data=targets.get(key),
        )
        plausible = (  # judged only when asked for
            check_plausibility(bars.of(symbol, year), key, thresholds, actions)
            if PLAUSIBILITY.name in selected
            else None
        )
        coverage = coverage_description(result.coverage, unmapped[symbol], key in targets)
        for spec, verdict, severity in (
            (COVERAGE, result.coverage, dg.AssetCheckSeverity.ERROR),
            (INTEGRITY, result.integrity, dg.AssetCheckSeverity.ERROR),
            (PLAUSIBILITY, plausible, dg.AssetCheckSeverity.WARN),
        ):
            if spec.name in selected and verdict is not None:
                yield evaluation(
                    check_name=spec.name,
                    passed=verdict.passed,
                    severity=severity,
                    description=coverage if spec is COVERAGE else verdict.describe(),
                    metadata=verdict.metadata(),
                )
    for spec in (COVERAGE, INTEGRITY, PLAUSIBILITY):
        if spec.name in selected:
            yield dg.Output(None, output_name=spec.get_python_identifier())


@dg.asset_check(
    asset=SYMBOL_MAPPING,
    description="The symbol resolved to exactly one ISEC code, shared with no other symbol.",
    partitions_def=symbols_partitions,
    pool=WAREHOUSE_POOL,
    blocking=False,
)
def mapping_check(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    symbols = checked_symbols(context.partition_keys)
    with warehouse.get_connection() as conn:
        problems = mapping_problems(conn, symbols)
    targets = latest_materializations(context.instance, SYMBOL_MAPPING, symbols)
    for symbol in symbols:
        problem = problems[symbol]
        yield dg.AssetCheckEvaluation(
            asset_key=SYMBOL_MAPPING,
            check_name="mapping_check",
            passed=problem is None,
            severity=dg.AssetCheckSeverity.ERROR,
            description=problem or f"{symbol} resolved to exactly one ISEC code.",
            partition=symbol,
            target_materialization_data=targets.get(symbol),
        )
    yield dg.Output(None)


@dg.asset_check(
    asset=DAILY_BARS,
    name="freshness_check",
    description=(
        "The last completed NSE session is stored for every symbol by "
        f"{FRESHNESS_CUTOFF:%H:%M} IST (the refresh runs at 18:00 IST); weekends, holidays and "
        "special sessions from the calendar, data/reference/sessions.csv and the bars of all "
        "stored symbols, as coverage_check (in a year whose holiday list is missing, a weekday "
        "no symbol has a bar for is a holiday). "
        "Overdue names the last session held, the one lacking, and the symbols behind."
    ),
    pool=WAREHOUSE_POOL,
    blocking=False,
)
def freshness_check(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    paths: ProjectPaths,
    alerts: AlertsResource,
) -> dg.AssetCheckResult:
    """Warns (never fails a run) when the warehouse lacks a due session. The scheduled run at the
    cut-off also writes the overdue line to the alerts log, once a day; the check that runs with
    every bars run only updates what the UI shows."""
    judged_at = context.run.tags.get(JUDGED_AT_TAG)
    now = dt.datetime.fromisoformat(judged_at) if judged_at else dt.datetime.now(dt.UTC)
    reference = load_known_days(paths.reference / SESSIONS_FILE)
    with warehouse.get_connection() as conn:
        latest = latest_bar_dates(conn)
        evidence = freshness_evidence(conn, reference, now)
    verdict, behind = universe_verdict(latest, now, evidence.known)
    description = universe_description(verdict, behind, len(latest), evidence.missing_list_note())
    if not verdict.fresh and context.run.job_name == FRESHNESS_JOB:
        partitions = overdue_partitions(verdict, behind, now)
        alerts.send("overdue", DAILY_BARS.to_user_string(), partitions, description)
    return dg.AssetCheckResult(
        passed=verdict.fresh,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "last_held": verdict.last_held.isoformat() if verdict.last_held else "",
            "lacking": verdict.lacking.isoformat() if verdict.lacking else "",
            "judged_at": now.isoformat(timespec="minutes"),
            "symbols": len(latest),
            "symbols_behind": len(behind),
            "holiday_lists_missing": list(evidence.missing_lists),
            "holidays_assumed": [day.isoformat() for day in evidence.assumed],
        },
    )
