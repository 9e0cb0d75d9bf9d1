"""The batch coverage report as an asset: a Markdown table per list in the UI, JSON for scripts,
and the batch-level calendar warning (calendar_evidence_check) evaluated with it."""

import dagster as dg

from sensequant_assets.defs.owners import ownership
from sensequant_assets.defs.quality.checks import CALENDAR_EVIDENCE
from sensequant_assets.market.history import HistorySettings
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.quality.evaluate import read_calendar_evidence
from sensequant_assets.quality.report import build_reports, write_report
from sensequant_assets.universe.constituents import list_files, read_constituent_file
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days, load_listing_dates
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource


@dg.asset(
    deps=[dg.AssetDep("daily_bars"), dg.AssetDep("symbol_mapping")],
    check_specs=[CALENDAR_EVIDENCE],
    pool=WAREHOUSE_POOL,
    group_name="quality",
    **ownership("quality"),
    kinds={"duckdb", "json"},
)
def coverage_report(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    paths: ProjectPaths,
    history: HistorySettings,
) -> dg.MaterializeResult:
    """Every symbol x year of every constituent list as complete, partial, empty or unmapped;
    below each table, the days the bars show the calendar gets wrong, with the lines to add to
    data/reference/sessions.csv (also the WARN calendar_evidence_check, once per run)."""
    directory = paths.constituents
    files = list_files(directory)
    if not files:
        raise dg.Failure(
            f"No constituent lists (*.txt) in {directory}: add one, or point "
            "SENSEQUANT_CONSTITUENTS_DIR at the folder that holds them."
        )
    lists = [read_constituent_file(path) for path in files]
    reference = load_known_days(paths.reference / SESSIONS_FILE)
    with warehouse.get_connection() as conn:
        evidence = read_calendar_evidence(conn, history.years_through(), reference)
        reports = build_reports(conn, lists, load_listing_dates(paths.listings_file), evidence)
    metadata: dict[str, dg.RawMetadataValue] = {"lists": len(reports)}
    for report in reports:
        path = write_report(report, paths.reports)
        context.log.info(f"{report.batch}: {report.counts()} -> {path}")
        metadata[report.batch] = dg.MetadataValue.md(report.markdown())
        metadata[f"{report.batch} json"] = dg.MetadataValue.path(str(path))
    calendar = dg.AssetCheckResult(
        check_name=CALENDAR_EVIDENCE.name,
        passed=evidence.passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=evidence.describe(),
        metadata=evidence.metadata(),
    )
    return dg.MaterializeResult(metadata=metadata, check_results=[calendar])
