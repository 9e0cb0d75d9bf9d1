"""Reference data in the warehouse: the corporate actions adjusted bars are computed from, and
which names belonged to which index when."""

import datetime as dt

import dagster as dg

from sensequant_assets.defs.owners import ownership
from sensequant_assets.market.calendar import IST
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.universe.membership import (
    membership_markdown,
    membership_spells,
    read_lists,
)
from sensequant_assets.universe.reference import (
    CORPORATE_ACTIONS_FILE,
    MEMBERSHIP_DIR,
    SYMBOL_CHANGES_FILE,
    load_corporate_actions,
    load_symbol_changes,
)
from sensequant_assets.warehouse.corporate_actions import replace_corporate_actions
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource
from sensequant_assets.warehouse.snapshots import publish_committed
from sensequant_assets.warehouse.storage import replace_rows, transaction
from sensequant_assets.warehouse.tables import CORPORATE_ACTIONS, UNIVERSE_MEMBERSHIP
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


@dg.asset(
    pool=WAREHOUSE_POOL,
    group_name="reference",
    **ownership("reference"),
    kinds={"duckdb", "csv"},
    metadata=UNIVERSE_MEMBERSHIP.metadata(),
)
def universe_membership(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, paths: ProjectPaths
) -> dg.MaterializeResult:
    """Per index, each symbol's spells of membership (from, to), rebuilt whole from every list
    seen: the dated history under data/reference/membership/ and the lists of the constituent
    folder (undated ones from the day their file changed). A name that left keeps its spell, and
    its bars and history stay; the universe model trains each date on that date's members. A
    list that cannot be read is left out whole and named, so it ends nobody's spell by accident;
    `membership_check` fails where a list names a company whose listing had ended."""
    folders = [paths.reference / MEMBERSHIP_DIR, paths.constituents]
    lists, problems = read_lists(folders)
    renames = load_symbol_changes(paths.reference / SYMBOL_CHANGES_FILE)
    spells = membership_spells(lists, renames)
    for problem in problems:
        context.log.warning(problem)
    with warehouse.get_connection() as conn:
        with transaction(conn):
            replace_rows(
                conn, UNIVERSE_MEMBERSHIP.name, "TRUE", [], UNIVERSE_MEMBERSHIP.select(spells)
            )
        changes = {UNIVERSE_MEMBERSHIP: [()]}
        publish_committed(conn, paths.snapshots_for(warehouse.local_file), changes, context.log)
    today = dt.datetime.now(IST).date()
    left = spells[spells["member_to"].notna()]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(spells),
            "indexes": ", ".join(sorted(spells["index_name"].unique())),
            "lists_read": len(lists),
            "lists_left_out": dg.MetadataValue.md(
                "\n".join(f"- {problem}" for problem in problems) or "none"
            ),
            "names_that_left": int(left["symbol"].nunique()),
            "membership": dg.MetadataValue.md(membership_markdown(spells, today)),
        }
    )
