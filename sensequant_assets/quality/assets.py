"""The batch coverage report as an asset: a Markdown table per list in Dagit, JSON for scripts."""

import dagster as dg

from sensequant_assets.paths import constituents_dir, reports_dir
from sensequant_assets.quality.report import build_reports, write_report
from sensequant_assets.universe.constituents import list_files, read_constituent_file
from sensequant_assets.universe.reference import load_listing_dates
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource


@dg.asset(
    deps=[dg.AssetDep("daily_bars"), dg.AssetDep("symbol_mapping")],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "json"},
)
def coverage_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Every symbol x year of every constituent list as complete, partial, empty or unmapped."""
    directory = constituents_dir()
    files = list_files(directory)
    if not files:
        raise dg.Failure(
            f"No constituent lists (*.txt) in {directory}: add one, or point "
            "SENSEQUANT_CONSTITUENTS_DIR at the folder that holds them."
        )
    lists = [read_constituent_file(path) for path in files]
    with warehouse.get_connection() as conn:
        reports = build_reports(conn, lists, load_listing_dates())
    metadata: dict[str, dg.RawMetadataValue] = {"lists": len(reports)}
    for report in reports:
        path = write_report(report, reports_dir())
        context.log.info(f"{report.batch}: {report.counts()} -> {path}")
        metadata[report.batch] = dg.MetadataValue.md(report.markdown())
        metadata[f"{report.batch} json"] = dg.MetadataValue.path(str(path))
    return dg.MaterializeResult(metadata=metadata)
