"""The only module that imports Dagster's private API, pinned to dagster 1.13.

What the platform needs that has no public form in 1.13:
- a check evaluation yielded for one partition of a batched run is shown in the UI's check grid
  only when it names that partition's materialization
  (`AssetCheckEvaluationTargetMaterializationData`); without it the result is stored but hidden;
- the constituent-list sensor launches ONE asset backfill over several partitions definitions
  (symbol, symbol x year, unpartitioned) with `RunRequest.for_asset_graph_subset`, which takes an
  `AssetGraphSubset`;
- a materialization that an asset logs itself for one partition must carry the per-dimension
  partition tags Dagster puts on its own (`dagster/partition/<dim>`), which per-dimension status
  and filters read (`get_tags_from_multi_partition_key`);
- per-partition data versions from a run that carries many partitions (dagster-io/dagster#34013:
  `MaterializeResult` and `Output` take one data version, copied onto every partition). The
  asset logs one materialization per partition with the tags Dagster's staleness resolver and
  `AutomationCondition.data_version_changed()` read (`dagster/data_version`, the code version and
  each dependency's version and event pointer), then ends its step with `reported_output()`: an
  output that lets same-run steps downstream (checks, the model after its labels) run, which an
  omitted optional output would skip (#9408), and that Dagster turns into no events of its own
  (the key it skips auto-converted source observations by, `execute_step.py`). Its run log shows
  that key as the step output's metadata.

And five things 1.13 does not let an instance or a code location set:
- the UI's asset-check state (the check grid of `daily_bars`, the asset graph's check badges) is
  folded partition by partition in 1.13, each partition key validated on its own (a dynamic
  partition lookup, a cron walk for the year) and unioned into its status one at
  a time: at NIFTY 500 x 10 (15,000 check partitions) one page waited 7 to 10 s on it. The
  instance's event log (`CheckStateSqliteEventLogStorage`, `ExactPoolPostgresEventLogStorage`)
  folds the same records status by status (`check_state_by_status`), with the same result;
- a pool's slot claim on PostgreSQL is not exclusive (see `ExactPoolPostgresEventLogStorage`), so
  the Postgres instance template names that class;
- the backfill daemon looks at a backfill every 30 s, a constant (dagster-io/dagster#11649, open
  since 2023; #11860 proposes 2 s while backfills are active), and every dependency level of a
  backfill (mapping, bars and checks, teacher, universe model and report) starts at a pass: a
  third of a NIFTY 100 batch's wall went to waiting. `PacedRunCoordinator`, the instance's run
  coordinator, sets that pace when the daemon builds it, before any daemon loop starts, and
  holds a backfill's next pass until its runs have ended (`plan_after_runs_end`): the daemon
  reads a run's materializations as they land, so a pass inside a run's event writes split the
  next level into a run per fragment;
- the code server starts every run as a fresh interpreter (`multiprocessing` spawn, fixed in
  `DagsterApiServer`), which imports Dagster, the instance's storage and the code location again
  before the run's first event: about 2 s a dependency level. `start_runs_from_preloaded_process`
  makes each run a fork of a process that has them imported (`preloaded_run_context`);
- a step waiting for a pool slot asks again on a backoff from 1 s up to 15 s, and the
  `warehouse` pool's one slot passes from step to step dozens of times a batch. The instance's
  event logs name a shorter interval, which the claim loop takes (`PromptPoolClaims`).
An upgrade that moves any of them fails in `sensequant_assets_tests/test_dagster_internals.py`.

The daemon's own modules are imported inside the functions that touch them, not at the top:
every run imports this module, and `dagster._daemon` alone took 0.4 s of each run's start-up.
"""

import functools
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Mapping, Sequence, Set
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster._core.asset_graph_view.serializable_entity_subset import SerializableEntitySubset
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
from dagster._core.definitions.data_version import (
    CODE_VERSION_TAG,
    DATA_VERSION_IS_USER_PROVIDED_TAG,
    DATA_VERSION_TAG,
    DEFAULT_DATA_VERSION,
    NULL_EVENT_POINTER,
    get_input_data_version_tag,
    get_input_event_pointer_tag,
)
from dagster._core.definitions.partitions.subset.partitions_subset import PartitionsSubset
from dagster._core.definitions.partitions.utils import get_tags_from_multi_partition_key
from dagster._core.definitions.partitions.utils.multi import MULTIPARTITION_KEY_DELIMITER
from dagster._core.definitions.source_asset import SYSTEM_METADATA_KEY_SOURCE_ASSET_OBSERVATION
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecordStatus,
    AssetCheckExecutionResolvedStatus,
    AssetCheckPartitionInfo,
)
from dagster._core.storage.dagster_run import FINISHED_STATUSES, NOT_FINISHED_STATUSES
from dagster._core.storage.tags import BACKFILL_ID_TAG
from dagster._serdes import ConfigurableClassData
from dagster._utils.concurrency import ConcurrencySlotStatus

if TYPE_CHECKING:
    from dagster._core.execution.backfill import PartitionBackfill
    from dagster._core.storage.asset_check_state import AssetCheckState
    from dagster._utils.concurrency import ConcurrencyClaimStatus

__all__ = [
    "BACKFILL_PASS_SECONDS",
    "PLANNING_SHARE",
    "POOL_CLAIM_POLL_SECONDS",
    "PRELOADED_PACKAGES",
    "AssetCheckEvaluationTargetMaterializationData",
    "BackfillPace",
    "CheckStateByStatus",
    "ExactSlotClaim",
    "PacedRunCoordinator",
    "PromptPoolClaims",
    "backfill_pass_seconds",
    "backfill_request",
    "check_state_by_status",
    "data_version",
    "input_provenance",
    "latest_materializations",
    "latest_records",
    "partition_tags",
    "plan_after_runs_end",
    "preloaded_run_context",
    "reported_output",
    "runs_in_flight",
    "start_runs_from_preloaded_process",
    "versioned_materialization",
]


def latest_records(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, partition_keys: Sequence[str]
) -> dict[str, dg.EventLogRecord]:
    """Each partition's latest materialization record, in two event-log queries in all. No
    keys, no records: Dagster reads an empty set of partitions as no filter at all, and returned
    every partition (the freshness check of a first backfill whose models were all gated then
    failed on bars of symbols it had not asked for)."""
    if not partition_keys:
        return {}
    storage_ids = instance.get_latest_storage_id_by_partition(
        asset_key, dg.DagsterEventType.ASSET_MATERIALIZATION, set(partition_keys)
    )
    if not storage_ids:
        return {}
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, storage_ids=list(storage_ids.values())),
        limit=len(storage_ids),
    ).records
    return {str(record.partition_key): record for record in records}


def latest_materializations(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, partition_keys: Sequence[str]
) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
    """Each partition's latest materialization, as a check evaluation's target."""
    return {
        key: AssetCheckEvaluationTargetMaterializationData(
            storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
        )
        for key, record in latest_records(instance, asset_key, partition_keys).items()
    }


def data_version(record: dg.EventLogRecord) -> str | None:
    """The data version a materialization record carries, if any."""
    return (record.event_log_entry.tags or {}).get(DATA_VERSION_TAG)


def input_provenance(
    instance: dg.DagsterInstance, dependencies: Sequence[dg.AssetKey]
) -> dict[str, str]:
    """The provenance tags Dagster writes for each dependency of a materialization: the latest
    materialization of the dependency (any partition) and its data version. Read before the
    step reads its inputs: the staleness resolver compares each dependency partition's version
    at and after that event pointer."""
    tags: dict[str, str] = {}
    for key in dependencies:
        records = instance.fetch_materializations(key, limit=1).records
        record = records[0] if records else None
        version = data_version(record) if record else None
        tags[get_input_data_version_tag(key)] = version or DEFAULT_DATA_VERSION.value
        tags[get_input_event_pointer_tag(key)] = (
            str(record.storage_id) if record else NULL_EVENT_POINTER
        )
    return tags


def versioned_materialization(
    asset_key: dg.AssetKey,
    partition: str,
    metadata: Mapping[str, object],
    version: str,
    code_version: str,
    provenance: Mapping[str, str],
    tags: Mapping[str, str] | None = None,
) -> dg.AssetMaterialization:
    """One partition's materialization with its own data version, its asset's code version and
    the dependencies' provenance, as Dagster tags the materializations it derives itself."""
    return dg.AssetMaterialization(
        asset_key=asset_key,
        partition=partition,
        metadata=dict(metadata),
        tags={
            **(tags or {}),
            CODE_VERSION_TAG: code_version,
            **provenance,
            DATA_VERSION_TAG: version,
            DATA_VERSION_IS_USER_PROVIDED_TAG: "true",
        },
    )


def reported_output() -> dg.Output:
    """The output of a step that logged its materializations itself (see the module docstring);
    the asset must declare `dagster_type=dg.Nothing`."""
    return dg.Output(None, metadata={SYSTEM_METADATA_KEY_SOURCE_ASSET_OBSERVATION: True})


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


BACKFILL_PASS_SECONDS = 1
"""The backfill daemon's pace on this project's instances: a level of a batch starts at most this
long after the level before it ended, while passes are cheap (`BackfillPace`). A pass while a
backfill's runs are in flight is one count query (`plan_after_runs_end`), which is what made a
second affordable: it was 3 s while passes could split levels. Measured on 2 cores, same
session: NIFTY 100 x 3 wall over steps 1.23 at 1 s and 1.31 at 3 s; 36 x 3, 1.63 and 1.85."""

PLANNING_SHARE = 4
"""A pass is followed by a sleep that keeps the daemon planning at most a quarter of the time."""


class BackfillPace(float):
    """The pace the backfill loop sleeps by. The loop sleeps `pace - loop_duration` after each
    pass; this pace answers with the sleep that makes the pass and its sleep together the longer
    of its seconds and `PLANNING_SHARE` times the pass's own duration.

    Why: a pass plans the whole backfill, so its cost grows with the backfill; at a fixed short
    pace a big backfill's passes take most of a core, which the runs needed. Measured on 2 cores
    before passes waited for runs to end (`plan_after_runs_end`): 500 symbols x 10 years, the
    daemon used 45 % of a core at a fixed 3 s (docs/benchmarks.md, "Orchestration")."""

    def __sub__(self, loop_duration: float) -> float:  # type: ignore[override]
        return max(float(self), PLANNING_SHARE * loop_duration) - loop_duration


def runs_in_flight(instance: dg.DagsterInstance, backfill_id: str) -> int:
    """How many of a backfill's runs have not ended (queued, starting, started or canceling)."""
    return instance.get_runs_count(
        dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id}, statuses=list(NOT_FINISHED_STATUSES))
    )


async def plan_after_runs_end(
    backfill: "PartitionBackfill",
    logger: logging.Logger,
    workspace_process_context: Any,
    instance: dg.DagsterInstance,
) -> None:
    """Dagster's pass over one asset backfill, held while any of the backfill's runs has not
    ended; a backfill being canceled is passed at once.

    Why: the daemon counts a partition materialized as soon as its event lands, and a run writes
    its partitions' events one by one over seconds. A pass inside those seconds requests the
    children of the partitions written so far and, at the next pass, those of the rest: one level
    split into runs that each pay a process start-up (36 symbols x 3 years: 20 runs instead of 8;
    500 x 10: the 50 planned bars runs became 130 to 499). Held until every run has ended, a pass
    sees each level whole and plans the next as `BackfillPolicy` chunks it. The price is the
    overlap of a level's last run with the next level's first (docs/benchmarks.md). A run stuck
    in flight is ended by the instance's run monitoring (`max_runtime_seconds`)."""
    from dagster._core.execution import asset_backfill
    from dagster._core.execution.backfill import BulkActionStatus

    if backfill.status == BulkActionStatus.REQUESTED:
        waiting = runs_in_flight(instance, backfill.backfill_id)
        if waiting:
            logger.info(f"Waiting for {waiting} runs of this backfill to end before planning.")
            return
    await asset_backfill.execute_asset_backfill_iteration(
        backfill, logger, workspace_process_context, instance
    )


def backfill_pass_seconds() -> float:
    """How often, in seconds, this process's backfill daemon looks at the active backfills."""
    from dagster._daemon import controller

    return controller.DEFAULT_DAEMON_INTERVAL_SECONDS


class PacedRunCoordinator(dg.QueuedRunCoordinator):
    """Dagster's queued run coordinator (every setting of its own unchanged), which also sets how
    often the backfill daemon passes: `backfill_pass_seconds` in the instance's `run_coordinator`
    config, default `BACKFILL_PASS_SECONDS`.

    The run coordinator is the one object of an instance's own configuration that the daemon
    process builds before it starts its loops (`dagster-daemon run` asks for it to decide which
    daemons to start), and the backfill loop reads the module constant
    `DEFAULT_DAEMON_INTERVAL_SECONDS` when it starts; so setting the constant here sets the
    pace of every backfill this instance runs, whoever launched it: the constituent-list sensor,
    the UI's Materialize, `sensequant backfill`. The same moment puts `plan_after_runs_end` in
    the daemon's place of its pass over one backfill. Other processes that build the coordinator
    (webserver, runs) run no backfill loop and are unaffected.
    """

    @classmethod
    def config_type(cls) -> dict[str, dg.Field]:
        return {
            **super().config_type(),
            "backfill_pass_seconds": dg.Field(
                dg.IntSource,
                is_required=False,
                default_value=BACKFILL_PASS_SECONDS,
                description="Seconds between the backfill daemon's passes (Dagster's: 30).",
            ),
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> "PacedRunCoordinator":
        seconds = config_value.get("backfill_pass_seconds", BACKFILL_PASS_SECONDS)
        if not 1 <= seconds <= 300:
            raise dg.DagsterInvalidConfigError(
                "run_coordinator.config.backfill_pass_seconds in dagster.yaml must be 1 to 300 "
                f"seconds, not {seconds}",
                [],
                config_value,
            )
        from dagster._daemon import backfill, controller

        controller.DEFAULT_DAEMON_INTERVAL_SECONDS = BackfillPace(seconds)  # type: ignore[assignment]
        backfill.execute_asset_backfill_iteration = plan_after_runs_end  # type: ignore[assignment]
        queued = {k: v for k, v in config_value.items() if k != "backfill_pass_seconds"}
        return super().from_config_value(inst_data, queued)  # type: ignore[arg-type]


PRELOADED_PACKAGES = ("sensequant_assets", "dagster", "dagster_postgres")
"""The packages whose modules a run's process inherits already imported (with what they import):
this code location, and Dagster's with the instance's storage, whose loading took another 0.5 s
of each run (DagsterInstance.from_ref imports about 500 modules: SQLAlchemy, Alembic, the
storages)."""


def start_runs_from_preloaded_process() -> None:
    """Has every Dagster code server in this process start a run by forking a process that has
    already imported Dagster and this code location, instead of spawning a fresh interpreter.

    Why: Dagster 1.13's code server (`DagsterApiServer`) starts each run with
    `multiprocessing.get_context("spawn")`, fixed in its constructor, and its `StartRun` answers
    only once the new process has loaded the run. A fresh interpreter imports Dagster, pandas,
    DuckDB and CatBoost and builds the definitions before the run's first event: 2.0-2.3 s from
    the run's STARTING to its START on this 2-core machine (NIFTY 100 x 3, 2026-12-07), once per
    dependency level of a batch, which kept that batch's orchestration at the 1.25 bound; forked,
    0.5 s (the same batch, 17:16 UTC; 1.2 s when only the code location was preloaded, the
    instance's storage taking the rest). A forkserver imports the modules once, when the server
    starts its first run; every run is a fork of it. The modules are those of
    `PRELOADED_PACKAGES` the server itself has loaded by then, so a run executes the code the
    server shows, and a reloaded code location is a new server process with a new forkserver.
    The run's own process, events, cancellation (the server's termination event) and crash
    report (`is_alive`, `exitcode`) are Dagster's, unchanged: only how the process is made
    differs.

    Without a forkserver (not POSIX) the server keeps spawning. Any process may call this; only
    a code server ever starts runs through the context.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    from dagster._grpc.server import DagsterApiServer

    # A property on the class wins over the attribute the constructor set on the instance.
    DagsterApiServer._mp_ctx = property(  # type: ignore[assignment]
        lambda _server: preloaded_run_context(), lambda _server, _spawn: None
    )


@functools.cache
def preloaded_run_context() -> multiprocessing.context.BaseContext:
    """The forkserver context a code server starts runs with, preloading the modules of
    `PRELOADED_PACKAGES` this process has imported by the time it starts its first run."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        # list(): the server's other threads may import while this one reads
        sorted(name for name in list(sys.modules) if name.split(".")[0] in PRELOADED_PACKAGES)
    )
    return context


def check_state_by_status(
    instance: dg.DagsterInstance,
    keys: Sequence[tuple[dg.AssetCheckKey, dg.PartitionsDefinition | None]],
) -> dict[dg.AssetCheckKey, "AssetCheckState"]:
    """Each check's state as the UI reads it (`EventLogStorage.get_asset_check_state`): the
    partitions whose latest evaluation passed or failed against the latest materialization, those
    planned in runs still going, and those whose run ended without evaluating them (skipped, or
    execution failed when the run failed). Partitions the definition no longer has are left out.

    Why not Dagster's own fold: it validates and adds one partition at a time, which costs a
    lookup and a cron walk per partition; here the valid keys are listed once and each status's
    partitions become one subset. The state is built afresh each time, as 1.13's open-source
    storages do (their checkpoint is always empty)."""
    from dagster._core.storage.asset_check_state import AssetCheckState

    partitions_by_check = dict(keys)
    records = instance.event_log_storage.get_asset_check_partition_info(list(partitions_by_check))
    planned_runs = {
        record.latest_planned_run_id
        for record in records
        if record.latest_execution_status == AssetCheckExecutionRecordStatus.PLANNED
    }
    ended = (
        {
            run.run_id: run.status
            for run in instance.get_runs(
                filters=dg.RunsFilter(
                    run_ids=sorted(planned_runs), statuses=list(FINISHED_STATUSES)
                )
            )
        }
        if planned_runs
        else {}
    )
    records_by_check: dict[dg.AssetCheckKey, list[AssetCheckPartitionInfo]] = {
        key: [] for key in partitions_by_check
    }
    for record in records:
        records_by_check[record.check_key].append(record)

    states = {}
    for key, partitions_def in partitions_by_check.items():
        defined = _defines_partition_key(partitions_def)
        by_status: dict[AssetCheckExecutionResolvedStatus, list[str | None]] = {
            status: [] for status in AssetCheckExecutionResolvedStatus
        }
        in_progress: dict[str, list[str | None]] = {}
        for record in records_by_check[key]:
            partition = record.partition_key
            if not defined(partition):
                continue
            status = record.latest_execution_status
            if status == AssetCheckExecutionRecordStatus.PLANNED:
                run_status = ended.get(record.latest_planned_run_id)
                if run_status is None:
                    by_status[AssetCheckExecutionResolvedStatus.IN_PROGRESS].append(partition)
                    in_progress.setdefault(record.latest_planned_run_id, []).append(partition)
                elif run_status == dg.DagsterRunStatus.FAILURE:
                    by_status[AssetCheckExecutionResolvedStatus.EXECUTION_FAILED].append(partition)
                else:
                    by_status[AssetCheckExecutionResolvedStatus.SKIPPED].append(partition)
            elif record.is_current:
                by_status[_RESOLVED[status]].append(partition)
        states[key] = AssetCheckState(
            latest_storage_id=max(
                (
                    max(r.latest_check_event_storage_id, r.latest_materialization_storage_id or 0)
                    for r in records_by_check[key]
                ),
                default=0,
            ),
            subsets={
                status: _check_subset(key, partitions_def, partitions)
                for status, partitions in by_status.items()
            },
            in_progress_runs={
                run_id: _check_subset(key, partitions_def, partitions)
                for run_id, partitions in in_progress.items()
            },
        )
    return states


def _defines_partition_key(
    partitions_def: dg.PartitionsDefinition | None,
) -> Callable[[str | None], bool]:
    """Whether a stored partition key is one of `partitions_def`'s now (None: unpartitioned).
    A multi-dimensional key is tested dimension by dimension, each dimension's keys listed once:
    500 symbols and 120 months, not their 60,000 products."""
    if partitions_def is None:
        return lambda key: key is None
    if not isinstance(partitions_def, dg.MultiPartitionsDefinition):
        keys = set(partitions_def.get_partition_keys())
        return lambda key: key in keys
    # In the order Dagster joins them (MultiPartitionsDefinition.get_partition_key_from_str).
    dimensions = [
        set(d.partitions_def.get_partition_keys()) for d in partitions_def.partitions_defs
    ]

    def known(key: str | None) -> bool:
        parts = (key or "").split(MULTIPARTITION_KEY_DELIMITER)
        return len(parts) == len(dimensions) and all(
            part in keys for part, keys in zip(parts, dimensions, strict=True)
        )

    return known


_RESOLVED = {
    AssetCheckExecutionRecordStatus.SUCCEEDED: AssetCheckExecutionResolvedStatus.SUCCEEDED,
    AssetCheckExecutionRecordStatus.FAILED: AssetCheckExecutionResolvedStatus.FAILED,
}


def _check_subset(
    key: dg.AssetCheckKey,
    partitions_def: dg.PartitionsDefinition | None,
    partitions: Sequence[str | None],
) -> SerializableEntitySubset[dg.AssetCheckKey]:
    """The partitions of one check as one subset (the whole check when it is unpartitioned)."""
    if not partitions:
        return SerializableEntitySubset.empty(key, partitions_def)
    if partitions_def is None:
        return SerializableEntitySubset.from_coercible_value(key, None, None)
    return SerializableEntitySubset.from_coercible_value(key, list(partitions), partitions_def)


class CheckStateByStatus:
    """An event-log storage whose asset-check state is `check_state_by_status`'s."""

    _instance: dg.DagsterInstance

    def get_asset_check_state(
        self, keys: Sequence[tuple[dg.AssetCheckKey, dg.PartitionsDefinition | None]]
    ) -> Mapping[dg.AssetCheckKey, "AssetCheckState"]:
        return check_state_by_status(self._instance, keys)


class ExactSlotClaim:
    """An event-log storage whose pool slot one step at a time can claim.

    In 1.13.27 `_claim_concurrency_slot` picks a free slot row with `SELECT ... FOR UPDATE SKIP
    LOCKED` (on PostgreSQL, on a connection in AUTOCOMMIT mode, so the row lock ends with the
    SELECT; on sqlite, no lock at all) and then updates the row by id alone: two steps that claim
    at the same moment both pick the one free slot of a limit-1 pool and both are told CLAIMED.
    Measured with four processes claiming a limit-1 pool at the same instant (docs/reliability.md):
    16 of 40 rounds gave the slot to more than one on PostgreSQL. Two DuckDB writers then meet the
    file lock, which is the 1-in-20 failure of the four-runs test on Postgres. The claim below
    updates the row only while it is still free, so the database decides (PostgreSQL's row lock,
    sqlite's one writer): the loser's UPDATE finds the row taken, changes nothing, and the step
    waits for the next free slot as Dagster's own path does.
    """

    index_connection: Callable[[], Any]  # the storage's own, from Dagster's SqlEventLogStorage

    def _claim_concurrency_slot(
        self, concurrency_key: str, run_id: str, step_key: str
    ) -> ConcurrencySlotStatus:
        from dagster._core.storage.event_log.schema import ConcurrencySlotsTable

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


POOL_CLAIM_POLL_SECONDS = 0.2
"""How often a step waiting for a pool slot asks for it again."""


class PromptPoolClaims:
    """An event-log storage whose steps waiting for a pool slot ask for it again every
    `POOL_CLAIM_POLL_SECONDS`, not on Dagster's backoff.

    Why: the `warehouse` pool passes its one slot from step to step and from run to run dozens of
    times in a batch, and in 1.13 a waiting step asks again after 1 s, then 1.1 s, 1.21 s and so
    on up to 15 s. Read from each run's events (NIFTY 100 x 3, 2026-12-07 17:19 UTC): the next
    step started 0.3-1.3 s after the slot was freed, and 0.8 s for a step that had waited 6 s;
    the batch's critical path passes the slot seven times. At 0.2 s the next step started
    0.06-0.2 s after (17:22 UTC), and the batch's wall over its steps went from 1.21 to 1.15
    with the forkserver in both. A storage may name the interval
    (`ConcurrencyClaimStatus.sleep_interval`, which the claim loop takes in place of its own). An
    ask costs 2.8-2.9 ms of CPU on the sqlite instance (19:15 UTC), 1.4 % of a core for each
    waiting step at this pace.
    """

    def claim_concurrency_slot(
        self, concurrency_key: str, run_id: str, step_key: str, priority: int | None = None
    ) -> "ConcurrencyClaimStatus":
        status = super().claim_concurrency_slot(  # type: ignore[misc]
            concurrency_key, run_id, step_key, priority
        )
        return status if status.is_claimed else status.with_sleep_interval(POOL_CLAIM_POLL_SECONDS)


def __getattr__(name: str) -> type:
    """The event logs, each built when first asked for: an instance loads one of them (by name,
    from its dagster.yaml), and every run imports this module, where importing dagster_postgres
    up front would add about 0.35 s to each run's start-up, and Dagster's sqlite event log 0.2 s
    to each run of a Postgres instance."""
    if name == "ExactPoolPostgresEventLogStorage":
        return _exact_pool_storage()
    if name == "CheckStateSqliteEventLogStorage":
        return _check_state_sqlite_storage()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _check_state_sqlite_storage() -> type:
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    class CheckStateSqliteEventLogStorage(
        CheckStateByStatus, ExactSlotClaim, PromptPoolClaims, SqliteEventLogStorage
    ):
        """Dagster's default sqlite event log, in its own folder of the instance's home
        (`history/runs`), with the claims of `ExactSlotClaim` and `PromptPoolClaims` and the
        asset-check state of `check_state_by_status`.

        dagster.yaml names it without a folder, and it takes the folder when the instance registers
        itself, before anything reads or writes: a storage's config has no way to name the folder
        its instance was loaded from, and `{env: DAGSTER_HOME}` would name whatever home the loading
        process has, which is another instance's for `DagsterInstance.from_config(folder)`."""

        def __init__(self, inst_data: ConfigurableClassData | None = None) -> None:
            self._inst_data = inst_data

        @classmethod
        def config_type(cls) -> dict[str, Any]:
            return {}

        @classmethod
        def from_config_value(  # type: ignore[override]
            cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
        ) -> "CheckStateSqliteEventLogStorage":
            return cls(inst_data)

        def register_instance(self, instance: dg.DagsterInstance) -> None:
            folder = os.path.join(instance.root_directory, "history", "runs", "")
            SqliteEventLogStorage.__init__(self, folder, self._inst_data)
            super().register_instance(instance)

    return CheckStateSqliteEventLogStorage


@functools.cache
def _exact_pool_storage() -> type:
    from dagster._serdes import ConfigurableClassData
    from dagster_postgres.event_log import PostgresEventLogStorage
    from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

    class ExactPoolPostgresEventLogStorage(
        CheckStateByStatus, ExactSlotClaim, PromptPoolClaims, PostgresEventLogStorage
    ):
        """Dagster's Postgres event log, with the claims of `ExactSlotClaim` and
        `PromptPoolClaims` and the asset-check state of `check_state_by_status`."""

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

    return ExactPoolPostgresEventLogStorage
