"""The tests' only imports of Dagster's private API, pinned to dagster 1.13 like the product's
`sensequant_assets/dagster_internals.py`.

What tests read that has no public form in 1.13:
- whether an asset partition is stale, and why (`get_stale_status_resolver`, `StaleStatus`): the
  UI's unsynced markers, which the per-partition data versions must drive;
- the type a sensor's `evaluate_tick` returns (`SensorExecutionData`);
- the backfill daemon's loop (`execute_backfill_iteration_loop`) and the daemon-creation step
  that builds the run coordinator first (`create_daemons_from_instance`), to show that the
  project's run coordinator sets the pace the loop sleeps at; the daemon's module
  (`backfill_daemon`), whose pass over one backfill the coordinator replaces, and the statuses
  a backfill's pass depends on (`BulkActionStatus`); the origin a queued run must carry
  (`RemoteJobOrigin` and the origins it is made of), to store one without a code server;
- Dagster's own fold of the UI's asset-check state (`bulk_update_asset_check_state` from an
  empty `AssetCheckState`), which the project's must equal, the event a run stores when it plans
  a check (`AssetCheckEvaluationPlanned`), and the context in which a dynamic partitions
  definition lists its keys (`partition_loading_context`), as the webserver sets it;
- the code server (`DagsterApiServer`), whose way of starting a run's process the project
  replaces, and the context a run uses to claim a pool slot (`InstanceConcurrencyContext`),
  whose next ask the project's event logs pace, and the event log both of the project's
  storages build on (`SqlEventLogStorage`), whose slot claim they replace.

An upgrade that moves any of them fails in `sensequant_assets_tests/test_dagster_internals.py`;
test_architecture.py keeps every other test and benchmark off `dagster._`.
"""

from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationPlanned,
)
from dagster._core.definitions.data_version import StaleStatus
from dagster._core.definitions.partitions.context import partition_loading_context
from dagster._core.definitions.sensor_definition import SensorExecutionData
from dagster._core.execution.backfill import BulkActionStatus
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.remote_origin import (
    GrpcServerCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.storage.asset_check_state import AssetCheckState, bulk_update_asset_check_state
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage
from dagster._daemon import backfill as backfill_daemon
from dagster._daemon.backfill import execute_backfill_iteration_loop
from dagster._daemon.controller import create_daemons_from_instance
from dagster._grpc.server import DagsterApiServer
from dagster._utils.test.data_versions import get_stale_status_resolver

__all__ = [
    "AssetCheckEvaluationPlanned",
    "AssetCheckState",
    "BulkActionStatus",
    "DagsterApiServer",
    "GrpcServerCodeLocationOrigin",
    "InstanceConcurrencyContext",
    "RemoteJobOrigin",
    "RemoteRepositoryOrigin",
    "SensorExecutionData",
    "SqlEventLogStorage",
    "StaleStatus",
    "backfill_daemon",
    "bulk_update_asset_check_state",
    "create_daemons_from_instance",
    "execute_backfill_iteration_loop",
    "get_stale_status_resolver",
    "partition_loading_context",
]
