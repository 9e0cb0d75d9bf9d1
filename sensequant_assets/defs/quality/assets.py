"""The batch coverage report as an asset: a Markdown table per list in the UI, JSON for scripts."""

import dagster as dg

from sensequant_assets.paths import ProjectPaths
from sensequant_assets.quality.report import build_reports, write_report
from sensequant_assets.universe.constituents import list_files, read_constituent_file
from sensequant_assets.universe.reference import load_listing_dates
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource


@dg.asset(
    deps=[dg.AssetDep("daily_bars"), dg.AssetDep("symbol_mapping")],
    pool=WAREHOUSE_POOL,
    group_name="quality",
    kinds={"duckdb", "json"},
)
def coverage_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, paths: ProjectPaths
) -> dg.MaterializeResult:
    """Every symbol x year of every constituent list as complete, partial, empty or unmapped."""
    directory = paths.constituents
    files = list_files(directory)
    if not files:
        raise dg.Failure(
            f"No constituent lists (*.txt) in {directory}: add one, or point "
            "SENSEQUANT_CONSTITUENTS_DIR at the folder that holds them."
        )
    lists = [read_constituent_file(path) for path in files]
    with warehouse.get_connection() as conn:
        reports = build_reports(conn, lists, load_listing_dates(paths.listings_file))
    metadata: dict[str, dg.RawMetadataValue] = {"lists": len(reports)}
    for report in reports:
        path = write_report(report, paths.reports)
        context.log.info(f"{report.batch}: {report.counts()} -> {path}")
        metadata[report.batch] = dg.MetadataValue.md(report.markdown())
        metadata[f"{report.batch} json"] = dg.MetadataValue.path(str(path))
    return dg.MaterializeResult(metadata=metadata)
