"""Pins the dagster 1.13 behaviour the fenced private imports rely on: an upgrade that changes
it fails here, by name, not somewhere in a check grid or a sensor tick."""

import inspect

import dagster as dg
from dagster_postgres.event_log import PostgresEventLogStorage

from sensequant_assets.dagster_internals import (
    AssetCheckEvaluationTargetMaterializationData,
    ExactPoolPostgresEventLogStorage,
    backfill_request,
    latest_materializations,
    partition_tags,
)


@dg.asset(partitions_def=dg.StaticPartitionsDefinition(["A", "B"]))
def pinned() -> None:
    return None


@dg.asset(
    partitions_def=dg.MultiPartitionsDefinition(
        {
            "symbol": dg.StaticPartitionsDefinition(["X"]),
            "year": dg.StaticPartitionsDefinition(["2024"]),
        }
    )
)
def pinned_grid() -> None:
    return None


def test_latest_materializations_point_at_each_partitions_newest_event() -> None:
    with dg.instance_for_test() as instance:
        for _ in range(2):
            dg.materialize([pinned], instance=instance, partition_key="A")
        dg.materialize([pinned], instance=instance, partition_key="B")
        targets = latest_materializations(instance, pinned.key, ["A", "B", "C"])
        assert set(targets) == {"A", "B"}
        newest_a = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=pinned.key, asset_partitions=["A"]), limit=1
        ).records[0]
        assert isinstance(targets["A"], AssetCheckEvaluationTargetMaterializationData)
        assert targets["A"].storage_id == newest_a.storage_id
        assert targets["A"].run_id == newest_a.run_id


def test_backfill_request_needs_the_backfill_daemon_and_keeps_its_subset() -> None:
    partitions = {pinned.key: pinned.partitions_def.empty_subset().with_partition_keys(["B"])}
    request = backfill_request(partitions, set(), {"sensequant/batch": "x"})
    assert request.requires_backfill_daemon()
    assert request.tags == {"sensequant/batch": "x"}
    subset = request.asset_graph_subset
    assert subset is not None
    assert set(subset.get_partitions_subset(pinned.key).get_partition_keys()) == {"B"}


def test_partition_tags_are_those_dagster_writes_on_its_own_materializations() -> None:
    key = dg.MultiPartitionKey({"symbol": "X", "year": "2024"})
    with dg.instance_for_test() as instance:
        dg.materialize([pinned_grid], instance=instance, partition_key=key)
        [record] = instance.fetch_materializations(pinned_grid.key, limit=1).records
    own = record.asset_materialization.tags
    assert partition_tags(key) == {
        k: v for k, v in own.items() if k.startswith("dagster/partition/")
    }
    assert partition_tags(key) == {
        "dagster/partition/symbol": "X",
        "dagster/partition/year": "2024",
    }


def test_the_exact_pool_claim_overrides_the_method_dagster_calls_with_its_signature() -> None:
    """The override is only in force while Dagster's claim still goes through this method."""
    own = ExactPoolPostgresEventLogStorage._claim_concurrency_slot
    upstream = PostgresEventLogStorage._claim_concurrency_slot
    assert own is not upstream
    assert inspect.signature(own) == inspect.signature(upstream)
    assert "self._claim_concurrency_slot(" in inspect.getsource(
        PostgresEventLogStorage.claim_concurrency_slot
    )
