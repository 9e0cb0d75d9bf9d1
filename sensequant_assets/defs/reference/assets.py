"""Reference data in the warehouse: the corporate actions adjusted bars are computed from."""

import dagster as dg

from sensequant_assets.defs.owners import ownership
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.universe.reference import CORPORATE_ACTIONS_FILE, load_corporate_actions
from sensequant_assets.warehouse.corporate_actions import replace_corporate_actions
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource
from sensequant_assets.warehouse.snapshots import publish_committed
from sensequant_assets.warehouse.storage import transaction
from sensequant_assets.warehouse.tables import CORPORATE_ACTIONS
from sensequant_assets.warehouse.versions import corporate_actions_version


@dg.asset(
    pool=WAREHOUSE_POOL,
    group_name="reference",
    **ownership("reference"),
    kinds={"duckdb", "csv"},
    metadata=CORPORATE_ACTIONS.metadata(),
)
def corporate_actions(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, paths: ProjectPaths
) -> dg.MaterializeResult:
    """Splits, bonuses and price adjustments of data/reference/corporate_actions.csv, replacing
    the table whole. Raw daily_bars are never changed: readers that want prices in today's shares
    (the teacher) adjust them with this table at read time. Its data version is that of the
    rows, so loading an unchanged file makes no label unsynced and relabels nothing."""
    path = paths.reference / CORPORATE_ACTIONS_FILE
    actions = load_corporate_actions(path)
    with warehouse.get_connection() as conn:
        with transaction(conn):
            replace_corporate_actions(conn, actions)
            version = corporate_actions_version(conn)
        changes = {CORPORATE_ACTIONS: [()]}
        publish_committed(conn, paths.snapshots_for(warehouse.local_file), changes, context.log)
    context.log.info(f"{len(actions)} corporate action(s) loaded from {path}")
    shown = actions.assign(ex_date=actions["ex_date"].dt.date)
    return dg.MaterializeResult(
        data_version=dg.DataVersion(version),
        metadata={
            "dagster/row_count": len(actions),
            "symbols": actions["symbol"].nunique(),
            "reference_file": dg.MetadataValue.path(str(path)),
            "actions": dg.MetadataValue.md(shown.to_markdown(index=False)),
        },
    )
