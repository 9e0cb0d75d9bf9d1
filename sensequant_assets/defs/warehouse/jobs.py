"""Reclaiming a DuckLake's space: the files its replaced partitions and killed writers leave.

On the DuckDB file a replaced partition's rows are freed in place, so the job has nothing to do
there and says so; it exists in every deployment so that switching the backend needs no code.
"""

import datetime as dt

import dagster as dg
from pydantic import Field

from sensequant_assets.warehouse.lake import FILE_GRACE, conflict_retries, reclaim
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource


class LakeSpaceConfig(dg.Config):
    keep_snapshots_days: int = Field(
        default=7,
        description="How far back a reader may still travel in time; older snapshots expire and "
        "their files are deleted at the next run once older than a day.",
    )


@dg.op(pool=WAREHOUSE_POOL, out=dg.Out(dg.Nothing))
def reclaim_lake_space(
    context: dg.OpExecutionContext, config: LakeSpaceConfig, warehouse: WarehouseResource
) -> dg.Output[None]:
    """Expires old snapshots and deletes the data files nothing current references."""
    if not warehouse.is_lake:
        context.log.info(
            "The warehouse is the DuckDB file, which frees replaced rows in place: nothing to "
            "reclaim."
        )
        return dg.Output(None, metadata={"backend": warehouse.backend})
    for attempt in conflict_retries():
        with attempt, warehouse.get_connection() as conn:
            reclaimed = reclaim(conn, dt.timedelta(days=config.keep_snapshots_days))
    context.log.info(
        f"expired {reclaimed.snapshots_expired} snapshot(s); deleted "
        f"{reclaimed.replaced_files_deleted} replaced and {reclaimed.orphaned_files_deleted} "
        f"orphaned data file(s) older than {FILE_GRACE}"
    )
    return dg.Output(
        None,
        metadata={
            "backend": warehouse.backend,
            "snapshots_expired": reclaimed.snapshots_expired,
            "replaced_files_deleted": reclaimed.replaced_files_deleted,
            "orphaned_files_deleted": reclaimed.orphaned_files_deleted,
        },
    )


@dg.job(
    description="Expire DuckLake snapshots past the time-travel window and delete the data files "
    "only they, or killed writers, left behind (nothing to do on the DuckDB file)."
)
def lake_space_job() -> None:
    reclaim_lake_space()
