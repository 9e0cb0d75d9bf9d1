"""Pins the dagster 1.13 behaviour the fenced private imports rely on: an upgrade that changes
it fails here, by name, not somewhere in a check grid or a sensor tick."""

import asyncio
import inspect
import logging
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Iterator
from multiprocessing import forkserver
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
from dagster_postgres.event_log import PostgresEventLogStorage

from sensequant_assets import definitions
from sensequant_assets.dagster_internals import (
    BACKFILL_PASS_SECONDS,
    PLANNING_SHARE,
    POOL_CLAIM_POLL_SECONDS,
    PRELOADED_PACKAGES,
    AssetCheckEvaluationTargetMaterializationData,
    BackfillPace,
    CheckStateByStatus,
    CheckStateSqliteEventLogStorage,
    ExactPoolPostgresEventLogStorage,
    ExactSlotClaim,
    PacedRunCoordinator,
    PromptPoolClaims,
    backfill_pass_seconds,
    backfill_request,
    check_state_by_status,
    data_version,
    input_provenance,
    latest_materializations,
    latest_records,
    partition_tags,
    plan_after_runs_end,
    preloaded_run_context,
    reported_output,
    runs_in_flight,
    versioned_materialization,
)
from sensequant_assets.paths import REPO_ROOT
from sensequant_assets_tests.support.dagster_internals import (
    AssetCheckEvaluationPlanned,
    AssetCheckState,
    BulkActionStatus,
    DagsterApiServer,
    GrpcServerCodeLocationOrigin,
    InstanceConcurrencyContext,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
    SensorExecutionData,
    SqlEventLogStorage,
    StaleStatus,
    backfill_daemon,
    bulk_update_asset_check_state,
    create_daemons_from_instance,
    execute_backfill_iteration_loop,
    get_stale_status_resolver,
    partition_loading_context,
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


def test_no_partition_keys_read_no_records() -> None:
    """Not every partition, as Dagster's query reads an empty set."""
    with dg.instance_for_test() as instance:
        dg.materialize([pinned], instance=instance, partition_key="A")
        assert latest_records(instance, pinned.key, []) == {}
        assert latest_materializations(instance, pinned.key, []) == {}
        assert set(latest_records(instance, pinned.key, ["A", "B"])) == {"A"}


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


GRID = dg.MultiPartitionsDefinition(
    {
        "symbol": dg.StaticPartitionsDefinition(["X", "Y"]),
        "year": dg.StaticPartitionsDefinition(["2024", "2025"]),
    }
)
VERSIONS = {"X|2024": "x24", "X|2025": "x25", "Y|2024": "y24", "Y|2025": "y25"}


@dg.asset(partitions_def=GRID, code_version="grid-1", dagster_type=dg.Nothing)
def versioned_grid(
    context: dg.AssetExecutionContext,
) -> Iterator[dg.AssetMaterialization | dg.Output]:
    provenance = input_provenance(context.instance, [])
    for key in context.partition_keys:
        symbol, year = key.split("|")
        tags = partition_tags(dg.MultiPartitionKey({"symbol": symbol, "year": year}))
        yield versioned_materialization(
            context.asset_key, key, {"rows": 1}, VERSIONS[key], "grid-1", provenance, tags
        )
    yield reported_output()


@dg.asset_check(asset=versioned_grid)
def grid_checked() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset(
    partitions_def=dg.StaticPartitionsDefinition(["X", "Y"]),
    deps=[
        dg.AssetDep(
            versioned_grid, partition_mapping=dg.MultiToSingleDimensionPartitionMapping("symbol")
        )
    ],
    code_version="per-symbol-1",
)
def per_symbol() -> None:
    return None


def test_per_partition_versions_reach_the_staleness_resolver_through_the_mapping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One versioned materialization per partition of a range run, none of Dagster's own, the
    same-run check not skipped; downstream partitions read unsynced exactly when one of their
    own upstream partitions changed version, the UI's staleness resolver says."""
    everything = dg.Definitions(assets=[versioned_grid, per_symbol], asset_checks=[grid_checked])
    grid_run = {
        "dagster/asset_partition_range_start": "X|2024",
        "dagster/asset_partition_range_end": "Y|2025",
    }
    with dg.instance_for_test() as instance:
        result = everything.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, tags=grid_run, asset_selection=[versioned_grid.key]
        )
        assert len(result.get_asset_check_evaluations()) == 1, "the check step ran"
        materialized = result.asset_materializations_for_node("versioned_grid")
        assert sorted(m.partition for m in materialized) == sorted(VERSIONS)
        records = latest_records(instance, versioned_grid.key, list(VERSIONS))
        assert {key: data_version(record) for key, record in records.items()} == VERSIONS
        for symbol in ("X", "Y"):
            dg.materialize(
                [versioned_grid, per_symbol],
                selection=[per_symbol],
                partition_key=symbol,
                instance=instance,
            )
        [labels] = instance.fetch_materializations(per_symbol.key, limit=1).records
        assert input_provenance(instance, [versioned_grid.key]) == {
            "dagster/input_data_version/versioned_grid": data_version(
                instance.fetch_materializations(versioned_grid.key, limit=1).records[0]
            ),
            "dagster/input_event_pointer/versioned_grid": labels.asset_materialization.tags[
                "dagster/input_event_pointer/versioned_grid"
            ],
        }

        def unsynced() -> set[str]:
            resolver = get_stale_status_resolver(instance, [versioned_grid, per_symbol])
            return {
                symbol
                for symbol in ("X", "Y")
                if resolver.get_status(per_symbol.key, symbol) == StaleStatus.STALE
            }

        everything.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, tags=grid_run, asset_selection=[versioned_grid.key]
        )
        assert unsynced() == set(), "the same versions again"
        monkeypatch.setitem(VERSIONS, "X|2024", "x24-corrected")
        everything.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, tags=grid_run, asset_selection=[versioned_grid.key]
        )
        assert unsynced() == {"X"}


def test_the_exact_pool_claim_overrides_the_method_dagster_calls_with_its_signature() -> None:
    """The override is only in force while Dagster's claim still goes through this method, on
    both of the project's event logs."""
    upstream = SqlEventLogStorage._claim_concurrency_slot
    assert "self._claim_concurrency_slot(" in inspect.getsource(
        SqlEventLogStorage.claim_concurrency_slot
    )
    assert PostgresEventLogStorage._claim_concurrency_slot is upstream
    assert inspect.signature(ExactSlotClaim._claim_concurrency_slot) == inspect.signature(upstream)
    for storage in (ExactPoolPostgresEventLogStorage, CheckStateSqliteEventLogStorage):
        assert issubclass(storage, SqlEventLogStorage)
        assert storage.claim_concurrency_slot is PromptPoolClaims.claim_concurrency_slot
        assert storage._claim_concurrency_slot is ExactSlotClaim._claim_concurrency_slot


@dg.sensor(target=pinned)
def pinned_sensor() -> dg.SkipReason:
    return dg.SkipReason("pinned")


def test_a_sensor_tick_evaluates_to_the_execution_data_tests_read() -> None:
    """`support/dagster_internals.SensorExecutionData` is what `evaluate_tick` returns."""
    data = pinned_sensor.evaluate_tick(dg.build_sensor_context())
    assert isinstance(data, SensorExecutionData)
    assert data.skip_message == "pinned"


class RecordedWaits:
    """A daemon shutdown event that records how long the loop asks to sleep, and never sleeps."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def wait(self, timeout: float) -> bool:
        self.waits.append(timeout)
        return False

    def is_set(self) -> bool:
        return False


class NoWorkspace:
    """A workspace the backfill iteration cannot read: the loop records the error and sleeps."""

    def __getattr__(self, name: str) -> object:
        raise RuntimeError("no workspace in this test")


@pytest.fixture
def restored_pace() -> Iterator[None]:
    before = backfill_pass_seconds()
    dagster_pass = backfill_daemon.execute_asset_backfill_iteration
    yield
    PacedRunCoordinator.from_config_value(None, {"backfill_pass_seconds": before})
    backfill_daemon.execute_asset_backfill_iteration = dagster_pass


def sleeps_of_the_backfill_loop(passes: int) -> list[float]:
    waits = RecordedWaits()
    loop = execute_backfill_iteration_loop(
        NoWorkspace(),  # type: ignore[arg-type]
        logging.getLogger("test"),
        waits,  # type: ignore[arg-type]
    )
    for _ in loop:
        if len(waits.waits) == passes:
            break
    loop.close()
    return waits.waits


def test_the_project_instance_paces_the_backfill_daemon_before_its_loops_start(
    tmp_path: Path, restored_pace: None
) -> None:
    """What `dagster-daemon run` does with dagster.yaml: build the instance, then the daemons
    (which builds the run coordinator), then start the loops; the backfill loop then sleeps the
    project's pass, not Dagster's 30 s, between passes."""
    PacedRunCoordinator.from_config_value(None, {"backfill_pass_seconds": 30})
    assert all(29 <= wait <= 30 for wait in sleeps_of_the_backfill_loop(2))
    backfill_daemon.execute_asset_backfill_iteration = dagster_pass = object()
    shutil.copy(REPO_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        daemons = {daemon.daemon_type() for daemon in create_daemons_from_instance(instance)}
        assert {"BACKFILL", "QUEUED_RUN_COORDINATOR"} <= daemons
        assert isinstance(instance.run_coordinator, PacedRunCoordinator)
        assert instance.run_coordinator.dequeue_interval_seconds == 1
    assert backfill_pass_seconds() == BACKFILL_PASS_SECONDS == 1
    assert backfill_daemon.execute_asset_backfill_iteration is plan_after_runs_end != dagster_pass
    assert all(0 < wait <= BACKFILL_PASS_SECONDS for wait in sleeps_of_the_backfill_loop(2))


@pytest.mark.parametrize("seconds", [0, -1, 301])
def test_a_pass_outside_its_bounds_is_refused_naming_the_setting(
    seconds: int, restored_pace: None
) -> None:
    before = backfill_pass_seconds()
    with pytest.raises(dg.DagsterInvalidConfigError, match="backfill_pass_seconds"):
        PacedRunCoordinator.from_config_value(None, {"backfill_pass_seconds": seconds})
    assert backfill_pass_seconds() == before


def test_an_expensive_pass_is_followed_by_a_longer_sleep() -> None:
    """The loop sleeps `pace - loop_duration` (pinned above through the loop itself): a cheap pass
    keeps the pace, an expensive one is followed by three times its own length, so the daemon
    plans at most a quarter of the time however large the backfill."""
    pace = BackfillPace(3)
    assert max(0, pace - 0.2) == pytest.approx(2.8)
    assert max(0, pace - 2.0) == pytest.approx((PLANNING_SHARE - 1) * 2.0)
    assert pace == 3 and float(pace) == 3.0


def backfill_run(backfill_id: str, status: dg.DagsterRunStatus) -> dg.DagsterRun:
    """A run of `backfill_id` as the daemon stores it, with the origin a queued run must carry."""
    location = GrpcServerCodeLocationOrigin(host="127.0.0.1", port=1)
    origin = RemoteJobOrigin(
        repository_origin=RemoteRepositoryOrigin(location, "__repository__"),
        job_name="__ASSET_JOB",
    )
    return dg.DagsterRun(
        job_name="__ASSET_JOB",
        status=status,
        tags={"dagster/backfill": backfill_id},
        remote_job_origin=origin,
    )


def test_runs_in_flight_are_the_backfills_runs_that_have_not_ended() -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        for status in dg.DagsterRunStatus:
            instance.add_run(backfill_run("batch", status))
        instance.add_run(backfill_run("other", dg.DagsterRunStatus.STARTED))
        assert runs_in_flight(instance, "batch") == len(
            {"QUEUED", "NOT_STARTED", "MANAGED", "STARTING", "STARTED", "CANCELING"}
        )
        assert runs_in_flight(instance, "none") == 0


@pytest.fixture
def dagster_passes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records the backfills Dagster's own pass was called for."""
    passed: list[str] = []

    async def dagster_pass(backfill: SimpleNamespace, *_: object) -> None:
        passed.append(backfill.backfill_id)

    monkeypatch.setattr(
        "dagster._core.execution.asset_backfill.execute_asset_backfill_iteration", dagster_pass
    )
    return passed


@pytest.mark.parametrize(
    ("backfill_status", "run_status", "planned"),
    [
        # A run still writing its partitions' events: the pass would see a part of them.
        (BulkActionStatus.REQUESTED, dg.DagsterRunStatus.STARTED, False),
        # A queued run writes nothing yet, but it will: the pass waits for it too.
        (BulkActionStatus.REQUESTED, dg.DagsterRunStatus.QUEUED, False),
        (BulkActionStatus.REQUESTED, dg.DagsterRunStatus.SUCCESS, True),
        (BulkActionStatus.REQUESTED, dg.DagsterRunStatus.FAILURE, True),
        # A cancel is acted on at once, runs in flight or not.
        (BulkActionStatus.CANCELING, dg.DagsterRunStatus.STARTED, True),
    ],
)
def test_a_backfill_is_planned_only_once_its_runs_have_ended(
    backfill_status: BulkActionStatus,
    run_status: dg.DagsterRunStatus,
    planned: bool,
    dagster_passes: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    backfill = SimpleNamespace(backfill_id="batch", status=backfill_status)
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_run(backfill_run("batch", dg.DagsterRunStatus.SUCCESS))
        instance.add_run(backfill_run("batch", run_status))
        with caplog.at_level(logging.INFO):
            asyncio.run(
                plan_after_runs_end(backfill, logging.getLogger("test"), None, instance)  # type: ignore[arg-type]
            )
    assert dagster_passes == (["batch"] if planned else [])
    assert ("Waiting for 1 runs of this backfill to end" in caplog.text) is not planned


NAMES = dg.DynamicPartitionsDefinition(name="names")
GRID = dg.MultiPartitionsDefinition(
    {"name": NAMES, "year": dg.StaticPartitionsDefinition(["2024", "2025"])}
)


def cell(name: str, year: str = "2024") -> str:
    return str(dg.MultiPartitionKey({"name": name, "year": year}))


GRID_CHECK = dg.AssetCheckKey(dg.AssetKey("grid"), "grid_check")
WHOLE_CHECK = dg.AssetCheckKey(dg.AssetKey("whole"), "whole_check")


def plan_check(
    instance: dg.DagsterInstance, run: dg.DagsterRunStatus, partition: str
) -> dg.DagsterRun:
    """A run, ended or not as `run` says, that planned `GRID_CHECK` for `partition`."""
    planned = instance.add_run(dg.DagsterRun(job_name="checks", status=run))
    instance.store_event(
        dg.EventLogEntry(
            error_info=None,
            level=logging.INFO,
            user_message="",
            run_id=planned.run_id,
            timestamp=time.time(),
            dagster_event=dg.DagsterEvent(
                event_type_value=dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED.value,
                job_name="checks",
                event_specific_data=AssetCheckEvaluationPlanned(
                    asset_key=GRID_CHECK.asset_key,
                    check_name=GRID_CHECK.name,
                    partitions_subset=GRID.subset_with_partition_keys([partition]),
                ),
            ),
        )
    )
    return planned


def evaluate(
    instance: dg.DagsterInstance, check: dg.AssetCheckKey, passed: bool, partition: str | None
) -> None:
    """`check` evaluated against a new materialization of its asset (partition)."""
    asset = check.asset_key
    instance.report_runless_asset_event(dg.AssetMaterialization(asset, partition=partition))
    [latest] = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset, asset_partitions=[partition] if partition else None),
        limit=1,
    ).records
    target = AssetCheckEvaluationTargetMaterializationData(
        storage_id=latest.storage_id, run_id=latest.run_id, timestamp=latest.timestamp
    )
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            asset_key=asset,
            check_name=check.name,
            passed=passed,
            partition=partition,
            target_materialization_data=target,
        )
    )


def test_the_check_state_is_dagsters_own_fold_status_by_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every status the check grid draws, from the project's instance as dagster.yaml makes it."""
    shutil.copy(REPO_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, CheckStateSqliteEventLogStorage)
        assert (tmp_path / "history" / "runs" / "index.db").is_file()  # Dagster's own files
        instance.add_dynamic_partitions(NAMES.name, list("ABCDEFGH"))
        checked = {"A": True, "B": False, "C": True, "H": True}
        for name, passed in checked.items():
            evaluate(instance, GRID_CHECK, passed, cell(name))
        evaluate(instance, GRID_CHECK, True, cell("A", "1999"))  # a year the grid never had
        instance.report_runless_asset_event(dg.AssetMaterialization("grid", partition=cell("C")))
        instance.delete_dynamic_partition(NAMES.name, "H")
        going = plan_check(instance, dg.DagsterRunStatus.STARTED, cell("D"))
        plan_check(instance, dg.DagsterRunStatus.SUCCESS, cell("E"))
        plan_check(instance, dg.DagsterRunStatus.FAILURE, cell("F"))
        evaluate(instance, WHOLE_CHECK, True, None)
        keys = [(GRID_CHECK, GRID), (WHOLE_CHECK, None)]
        with partition_loading_context(dynamic_partitions_store=instance):
            ours = instance.event_log_storage.get_asset_check_state(keys)
            dagsters = bulk_update_asset_check_state(
                instance, keys, {key: AssetCheckState.empty() for key, _ in keys}
            )
            assert ours == check_state_by_status(instance, keys) == dagsters
    grid = {
        status.value: set(subset.subset_value.get_partition_keys())
        for status, subset in ours[GRID_CHECK].subsets.items()
    }
    # C was materialized again after its check; H left the list; G was never checked.
    assert grid == {
        "SUCCEEDED": {cell("A")},
        "FAILED": {cell("B")},
        "IN_PROGRESS": {cell("D")},
        "SKIPPED": {cell("E")},
        "EXECUTION_FAILED": {cell("F")},
    }
    assert {
        run_id: set(subset.subset_value.get_partition_keys())
        for run_id, subset in ours[GRID_CHECK].in_progress_runs.items()
    } == {going.run_id: {cell("D")}}
    whole = {status.value: subset.value for status, subset in ours[WHOLE_CHECK].subsets.items()}
    assert whole["SUCCEEDED"] is True
    assert not any(whole[status] for status in whole if status != "SUCCEEDED")


def test_the_postgres_event_log_folds_check_state_status_by_status() -> None:
    assert issubclass(ExactPoolPostgresEventLogStorage, CheckStateByStatus)
    assert (
        ExactPoolPostgresEventLogStorage.get_asset_check_state
        is CheckStateByStatus.get_asset_check_state
    )


def next_ask_after_a_refused_claim(instance: dg.DagsterInstance) -> tuple[float, float]:
    """Seconds until a step refused the `warehouse` pool's one slot asks again, as Dagster's claim
    loop schedules it, bracketed by the claim's own start and end; the slot is then freed and the
    waiting step must get it at that ask."""
    holding = InstanceConcurrencyContext(instance, dg.DagsterRun(job_name="holding"))
    waiting = InstanceConcurrencyContext(instance, dg.DagsterRun(job_name="waiting"))
    with holding, waiting:
        assert holding.claim("warehouse", "write")
        before = time.time()
        assert not waiting.claim("warehouse", "write")
        after = time.time()
        ask_at = waiting._pending_timeouts["write"]
        holding.free_step("write")
        assert not waiting.claim("warehouse", "write"), "asked again before its time"
        time.sleep(max(0.0, ask_at - time.time()))
        assert waiting.claim("warehouse", "write")
        waiting.free_step("write")
    return ask_at - after, ask_at - before


def test_a_step_waiting_for_a_pool_slot_asks_again_at_the_project_pace(tmp_path: Path) -> None:
    """Dagster's claim loop takes the interval the event log names in place of its own backoff
    (1 s, then 1.1 s, 1.21 s, up to 15 s): measured here beside Dagster's own event log."""
    assert "claim_status.sleep_interval" in inspect.getsource(InstanceConcurrencyContext.claim)
    assert issubclass(CheckStateSqliteEventLogStorage, PromptPoolClaims)
    pools = {"concurrency": {"pools": {"default_limit": 1, "granularity": "op"}}}
    with dg.instance_for_test(overrides=pools) as dagsters:
        at_least, at_most = next_ask_after_a_refused_claim(dagsters)
        assert at_least <= 1 <= at_most
    shutil.copy(REPO_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as ours:
        at_least, at_most = next_ask_after_a_refused_claim(ours)
        assert at_least <= POOL_CLAIM_POLL_SECONDS <= at_most


PRELOADED_ONLY = ["sensequant_assets.defs.teacher.assets", "catboost"]
"""Modules a run imports that unpickling `loaded_modules` (this test module) does not."""


def loaded_modules(answers: "multiprocessing.Queue[tuple[dict[str, bool], int]]") -> None:
    """A run's process at its start: which modules it already holds, and its parent."""
    answers.put(({name: name in sys.modules for name in PRELOADED_ONLY}, os.getppid()))


def started_process(context: multiprocessing.context.BaseContext) -> tuple[dict[str, bool], int]:
    answers = context.Queue()
    process = context.Process(target=loaded_modules, args=(answers,))  # type: ignore[attr-defined]
    process.start()
    answer = answers.get(timeout=120)
    process.join(timeout=60)
    assert process.exitcode == 0
    return answer


def test_a_code_server_starts_each_run_as_a_fork_of_a_preloaded_process() -> None:
    """Dagster's code server takes the context it starts runs with from `_mp_ctx`, which its
    constructor sets to spawn; once the location is loaded, every server of the process answers
    with a forkserver holding the location's modules, so a run starts with them imported.
    Spawned, the same process holds none of them (what Dagster does without the hook)."""
    assert 'self._mp_ctx = multiprocessing.get_context("spawn")' in inspect.getsource(
        DagsterApiServer.__init__
    )
    assert "self._mp_ctx.Process(" in inspect.getsource(DagsterApiServer.StartRun)
    definitions.defs()  # what the code server does when it loads the location
    server = object.__new__(DagsterApiServer)
    server._mp_ctx = multiprocessing.get_context("spawn")  # the constructor's line, pinned above
    assert server._mp_ctx is preloaded_run_context()
    assert server._mp_ctx.get_start_method() == "forkserver"

    spawned, _ = started_process(multiprocessing.get_context("spawn"))
    assert spawned == dict.fromkeys(PRELOADED_ONLY, False)
    forked, parent = started_process(server._mp_ctx)
    assert forked == dict.fromkeys(PRELOADED_ONLY, True)
    assert parent != os.getpid()
    assert b"multiprocessing.forkserver" in Path(f"/proc/{parent}/cmdline").read_bytes()


def test_the_forkserver_preloads_only_the_location_and_dagster() -> None:
    """Other packages a server has imported (the webserver's, a test's) are left to the run."""
    definitions.defs()
    preloaded_run_context()
    preloaded = forkserver._forkserver._preload_modules  # type: ignore[attr-defined]
    assert "sensequant_assets.definitions" in preloaded and "dagster" in preloaded
    assert all(name.split(".")[0] in PRELOADED_PACKAGES for name in preloaded)
