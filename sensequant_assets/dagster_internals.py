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
An upgrade that moves any of them fails in `sensequant_assets_tests/test_dagster_internals.py`.
"""

from collections.abc import Mapping, Sequence, Set

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
from dagster._core.definitions.partitions.subset.partitions_subset import PartitionsSubset
from dagster._core.definitions.partitions.utils import get_tags_from_multi_partition_key

__all__ = [
    "AssetCheckEvaluationTargetMaterializationData",
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
