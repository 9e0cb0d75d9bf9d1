"""Checks on the reference data: whether the index membership still names only listed companies."""

import dagster as dg

from sensequant_assets.defs.reference.assets import universe_membership
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.universe.membership import stale_members
from sensequant_assets.universe.reference import load_listing_dates
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import read_membership


@dg.asset_check(asset=universe_membership, blocking=True)
def membership_check(warehouse: WarehouseResource, paths: ProjectPaths) -> dg.AssetCheckResult:
    """A list that still names a company whose listing ended (listings.csv last_session) is
    stale: the check fails naming each such name, its index and list, instead of anything
    downstream crashing on a member without bars."""
    ends = load_listing_dates(paths.listings_file).ends
    with warehouse.get_connection() as conn:
        spells = read_membership(conn)
    stale = stale_members(spells, ends)
    return dg.AssetCheckResult(
        passed=not stale,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(stale)
        if stale
        else "No list names a company after its listing ended.",
        metadata={"stale_names": len(stale)},
    )
