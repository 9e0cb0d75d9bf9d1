"""The only module that imports Dagster's private API, pinned to dagster 1.13.

Three things the platform needs have no public form in 1.13:
- a check evaluation yielded for one partition of a batched run is shown in the UI's check grid
  only when it names that partition's materialization
  (`AssetCheckEvaluationTargetMaterializationData`); without it the result is stored but hidden;
- the constituent-list sensor launches ONE asset backfill over several partitions definitions
  (symbol, symbol x year, unpartitioned) with `RunRequest.for_asset_graph_subset`, which takes an
  `AssetGraphSubset`;
- a materialization that `daily_bars` logs itself for one partition of a partly failed run must
  carry the per-dimension partition tags Dagster puts on its own (`dagster/partition/<dim>`),
  which per-dimension status and filters read (`get_tags_from_multi_partition_key`).

And one thing 1.13 gets wrong: a pool's slot claim on PostgreSQL is not exclusive (see
`ExactPoolPostgresEventLogStorage`), so the Postgres instance template names that class.
An upgrade that moves any of them fails in `sensequant_assets_tests/test_dagster_internals.py`.
"""

from collections.abc import Mapping, Sequence, Set
from typing import Any

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
from dagster._core.definitions.partitions.subset.partitions_subset import PartitionsSubset
from dagster._core.definitions.partitions.utils import get_tags_from_multi_partition_key
from dagster._core.storage.event_log.schema import ConcurrencySlotsTable
from dagster._serdes import ConfigurableClassData
from dagster._utils.concurrency import ConcurrencySlotStatus
from dagster_postgres.event_log import PostgresEventLogStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

__all__ = [
    "AssetCheckEvaluationTargetMaterializationData",
    "ExactPoolPostgresEventLogStorage",
    "backfill_request",
    "latest_materializations",
    "partition_tags",
]


def latest_materializations(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, partition_keys: Sequence[str]
) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
    """Each partition's latest materialization, in two event-log queries for all partitions."""
    storage_ids = instance.get_latest_storage_id_by_partition(
        asset_key, dg.DagsterEventType.ASSET_MATERIALIZATION, set(partition_keys)
    )
    if not storage_ids:
        return {}
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, storage_ids=list(storage_ids.values())),
        limit=len(storage_ids),
    ).records
    return {
        str(record.partition_key): AssetCheckEvaluationTargetMaterializationData(
            storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
        )
        for record in records
    }


def backfill_request(
    partitions: Mapping[dg.AssetKey, PartitionsSubset],
    unpartitioned: Set[dg.AssetKey],
    tags: Mapping[str, str],
) -> dg.RunRequest:
    """One asset backfill (launched by the daemon) over `partitions` and `unpartitioned` assets."""
    subset = AssetGraphSubset(
        partitions_subsets_by_asset_key=dict(partitions),
        non_partitioned_asset_keys=set(unpartitioned),
    )
    return dg.RunRequest.for_asset_graph_subset(subset, tags=dict(tags))


def partition_tags(key: dg.MultiPartitionKey) -> dict[str, str]:
    """The tags Dagster writes on its own materializations of multi-partition `key`."""
    return dict(get_tags_from_multi_partition_key(key))


class ExactPoolPostgresEventLogStorage(PostgresEventLogStorage):
    """Dagster's Postgres event log, with a pool slot that one step at a time can claim.

    In 1.13.27 `_claim_concurrency_slot` picks a free slot row with `SELECT ... FOR UPDATE SKIP
    LOCKED` on a connection in AUTOCOMMIT mode, so the row lock ends with the SELECT, and then
    updates the row by id alone: two steps that claim at the same moment both pick the one free
    slot of a limit-1 pool and both are told CLAIMED. Measured here with four processes claiming
    a limit-1 pool at the same instant (docs/deploy.md): 16 of 40 rounds gave the slot to more
    than one. Two DuckDB writers then meet the file lock, which is the 1-in-20 failure of the
    four-runs test on Postgres. The claim below updates the row only while it is still free, so
    PostgreSQL's row lock decides: the loser's UPDATE re-reads the row, finds it taken, changes
    nothing, and the step waits for the next free slot as Dagster's own path does.
    """

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> "ExactPoolPostgresEventLogStorage":
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )

    def _claim_concurrency_slot(
        self, concurrency_key: str, run_id: str, step_key: str
    ) -> ConcurrencySlotStatus:
        slots = ConcurrencySlotsTable
        free = (
            slots.c.concurrency_key == concurrency_key,
            slots.c.step_key.is_(None),
            slots.c.deleted.is_(False),
        )
        with self.index_connection() as conn:
            candidate = conn.execute(
                slots.select().with_only_columns(slots.c.id).where(*free).limit(1)
            ).fetchone()
            if candidate is None:
                return ConcurrencySlotStatus.BLOCKED
            taken = conn.execute(
                slots.update()
                .values(run_id=run_id, step_key=step_key)
                .where(slots.c.id == candidate[0], *free)
            ).rowcount
        return ConcurrencySlotStatus.CLAIMED if taken else ConcurrencySlotStatus.BLOCKED
