"""Backfill cost through the real daemon: batched asset backfills against one run per partition.

Each measurement starts its own `dagster dev` on a throw-away instance and synthetic source, so
the daemon's passes and every run's process start-up are paid as a user pays them.

- `asset_backfill(n_symbols, history)`: one asset backfill of the whole batch graph (mapping, bars
  for the `history` years and their checks, labels, models, report), the backfill policies'
  chunking.
- `per_partition_baseline(n_symbols, history)`: daily_bars and its checks, one run per partition
  launched through GraphQL (mapping materialized first, untimed).

Each names its years: a `History`, whose first year is also the instance's SENSEQUANT_FIRST_YEAR
(its processes read the partitions from it at load), so 2022-2024 and 2016-2026 are measured
alike whatever the bench's own environment holds (the test package pins 2022 at import).

Wall time runs from the launch request to the backfill's terminal status; peak memory is the
largest sum of resident memory over every process of that instance, sampled twice a second, and
each process's own peak by its role (webserver, daemon, code server, run). The orchestration
ratio is the wall over the summed step time of the backfill's runs (each step from its start to
its end, read from the runs' step stats): what Dagster spent starting runs and waiting for
daemon passes is the rest. `backfill_pass_s` measures the same backfill with the daemon passing
at another pace (Dagster's own is 30 s; the project's instance sets 3 s).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from sensequant_assets.cli import (
    LAUNCH_BACKFILL,
    LOCATION,
    REPOSITORY,
    register_symbols,
    wait_for_backfill,
)
from sensequant_assets.defs.partitions import years_from
from sensequant_assets.defs.universe.sensors import (
    SYMBOL_ASSETS,
    SYMBOL_YEAR_ASSETS,
    UNPARTITIONED_ASSETS,
)
from sensequant_assets.market.history import FIRST_YEAR_VARIABLE
from sensequant_assets.paths import DATA_DIR, REPO_ROOT
from sensequant_assets.universe.constituents import list_files, read_constituent_file
from sensequant_assets.universe.partitions import PARTITIONS_PER_RUN
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL, WarehouseResource
from sensequant_assets_tests.support.dagster_dev import (
    FORKSERVER,
    DagsterDev,
    command_line,
    dagster_dev,
    parent,
    processes_with_home,
    wait_for,
)
from sensequant_assets_tests.support.deployment import deployed
from sensequant_assets_tests.support.graphql import backfill_failures
from sensequant_assets_tests.support.postgres import local_postgres

# Where the instance and the warehouse live: the project-local sqlite and the DuckDB file (`make
# ui`); PostgreSQL with the services apart (deploy/) and the DuckDB file; or that with a DuckLake
# whose catalog sits in the same PostgreSQL, its `warehouse` pool raised to LAKE_WRITERS steps.
Deployment = Literal["sqlite", "postgres", "postgres+ducklake"]
LAKE_WRITERS = 2  # the machine's cores (docs/deploy.md, "Pools on the lake")
BACKFILL_BOUND_S = 4 * 3600
"""How long a measured backfill may take: NIFTY 500 x 10 on PostgreSQL + DuckLake passed the
hour this used to be, in its universe model, on 2026-12-07."""

LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""

BARS_RUNS = """
query { runsOrError(filter: {pipelineName: "bars_job"}) { ... on Runs { results { status } } } }"""

RUNS = """
query($key: String!, $value: String!) {
  runsOrError(filter: {tags: [{key: $key, value: $value}]}) {
    ... on Runs {
      results { status creationTime startTime endTime stepStats { stepKey startTime endTime } }
    }
  }
}"""

SENSOR = """
query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) { __typename ... on Sensor { id } }
}"""

STOP_SENSOR = """
mutation($id: String!) {
  stopSensor(id: $id) { __typename ... on PythonError { message } }
}"""

CHECK_RESULTS = """
query($name: String!) {
  assetCheckExecutions(assetKey: {path: ["daily_bars"]}, checkName: $name, limit: 100000) {
    partition status
  }
}"""


@dataclass(frozen=True)
class History:
    """The years a measurement backfills: `first` (the instance's first year) to `last`."""

    first: int
    last: int

    @property
    def keys(self) -> list[str]:
        """The year partitions first..last, as an instance whose first year is `first` has them."""
        keys = [k for k in years_from(self.first).get_partition_keys() if int(k) <= self.last]
        if not keys or keys[-1] != str(self.last):
            raise ValueError(f"years {self}: give a last year from {self.first} to this year")
        return keys

    @property
    def settings(self) -> dict[str, str]:
        """The environment of every process of the measured instance."""
        return {FIRST_YEAR_VARIABLE: str(self.first)}

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"


BASELINE_HISTORY = History(2022, 2024)
"""NIFTY 100 x 2022-2024: what every backfill figure measured before the first year moved."""


@dataclass(frozen=True)
class Measurement:
    label: str
    symbols: int
    years: int
    bar_partitions: int
    status: str
    wall_s: float
    runs: int
    s_per_bar_partition: float
    peak_rss_mib: float
    partitions_with_check_results: int
    bar_rows: int = 0
    bar_rows_per_s: float = 0.0
    failed: str = ""  # what the backfill's page lists as failed, read back after it ended
    year_range: str = ""
    coverage_passed: int = 0  # partitions whose latest coverage_check passed
    coverage_failed: str = ""  # the others with a result, as `SYMBOL: years`
    load_average: str = ""  # the 1-minute load average when launched and when ended
    backfill_pass_s: int = 0  # how often the backfill daemon passed
    step_s: float = 0.0  # summed step time of the backfill's runs
    orchestration_ratio: float = 0.0  # wall / step_s
    stage_s: dict[str, float] | None = None  # step time by step (asset or check step)
    peak_rss_by_role_mib: dict[str, float] | None = None  # each process's peak, by role
    instance_mib: float = 0.0  # the Dagster home: runs, event logs, schedules (sqlite)
    warehouse_mib: float = 0.0  # the DuckDB file and its snapshots
    after: dict[str, Any] | None = None  # what `then` measured on the same instance afterwards
    idle_s: float = 0.0  # wall with no run of the backfill queued or running: daemon passes
    cpu_s_by_role: dict[str, float] | None = None  # CPU seconds each role used in the wall
    start_up_s: float = 0.0  # summed over runs, from created to first step: queue, process start


def coverage(server: DagsterDev) -> tuple[int, str]:
    """(partitions whose latest coverage_check passed, the failed ones as `SYMBOL: years`)."""
    latest: dict[str, str] = {}
    for row in server.query(CHECK_RESULTS, name="coverage_check")["assetCheckExecutions"]:
        latest.setdefault(row["partition"], row["status"])  # newest first
    failed: dict[str, list[str]] = {}
    for key, status in sorted(latest.items()):
        if status == "FAILED":
            symbol, year = key.split("|")
            failed.setdefault(symbol, []).append(year)
    passed = sum(status == "SUCCEEDED" for status in latest.values())
    return passed, "; ".join(f"{s}: {', '.join(y)}" for s, y in failed.items())


def universe(n: int) -> list[str]:
    """The first `n` symbols of the checked-in lists, padded with synthetic tickers.

    The synthetic source derives an unknown ticker's code from its first six characters, so the
    padding differs within them: BENCH000 and BENCH001 would share the code BENCH0, which
    mapping_check rightly fails and the gate then keeps from the teacher."""
    symbols: dict[str, None] = {}
    for path in list_files(DATA_DIR / "constituents"):
        symbols.update(dict.fromkeys(read_constituent_file(path).symbols))
    listed = list(symbols)[:n]
    return listed + [f"SYN{i:03d}" for i in range(n - len(listed))]


def listed_today(symbols: Sequence[str]) -> list[str]:
    """The batch's names still listed: today's constituent list, which never names a delisted
    one (membership_check fails a list that does), while the backfill covers them all."""
    padded = [s for s in symbols if s.startswith("SYN")]
    gone = {s for i, s in enumerate(padded) if ended(i)}
    return [s for s in symbols if s not in gone]


def role(pid: int) -> str:
    """What a process of the instance is, from its command line."""
    command = command_line(pid)
    if not command:
        return "gone"
    if FORKSERVER in command:  # the code server's warm process, and each run it forks
        return "run" if FORKSERVER in command_line(parent(pid)) else "run forkserver"
    for marker, name in (
        ("execute_run", "run"),
        ("multiprocessing.spawn", "run"),  # how Dagster's own code server starts a run
        ("multiprocessing.resource_tracker", "run helper"),
        ("tail -F", "run log tail"),  # not "compute_log": the daemon's own command names it
        ("api grpc", "code server"),
        ("code-server start", "code server manager"),
        ("dagster._daemon", "daemon"),
        ("dagster-daemon", "daemon"),
        ("dagster_webserver", "webserver"),
        ("dagster-webserver", "webserver"),
        ("postgres", "postgres"),
        (" dev ", "dagster dev"),
    ):
        if marker in command:
            return name
    return command[:60]


def ended(index: int) -> bool:
    """Whether the `index`th padded name's listing ended (one in forty)."""
    return index % 40 == 9


def market_reference(root: Path, symbols: Sequence[str]) -> dict[str, str]:
    """A reference folder in which the padded names list and delist as a broad index's do.

    The checked-in lists hold about a hundred names; past them `universe` pads with SYN
    tickers, which would otherwise all trade every session of every year. Here one in five
    lists after 2016 (spread over 2017-2025, as the decade's IPOs joined the NIFTY 500) and one
    in forty ends (delisted or merged away, 2019-2024), so a 500-name batch has partial years at
    both ends as the real one does; coverage expects exactly those sessions. Returns the
    environment that points the instance at it (none without padding)."""
    padded = [s for s in symbols if s.startswith("SYN")]
    if not padded:
        return {}
    reference = root / "reference"
    shutil.copytree(DATA_DIR / "reference", reference)
    rows = []
    for i, symbol in enumerate(padded):
        listed = f"{2017 + i % 9}-{1 + i % 12:02d}-15" if i % 5 == 2 else ""
        end = f"{2019 + i % 6}-06-28" if ended(i) else ""
        if listed or end:
            rows.append(f"{symbol},{listed},{end}\n")
    with (reference / "listings.csv").open("a") as listings:
        listings.writelines(rows)
    return {"SENSEQUANT_REFERENCE_DIR": str(reference)}


class PeakMemory:
    """Samples the summed RSS of every process of one instance until stopped, each process's
    own peak by role, and the CPU seconds each role used while sampled."""

    def __init__(self, dagster_home: str) -> None:
        self.home = dagster_home
        self.peak_bytes = 0
        self.by_role: dict[str, int] = defaultdict(int)
        self._roles: dict[int, str] = {}
        self._cpu: dict[int, tuple[float, float]] = {}  # pid: (first sampled, last sampled)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            total = 0
            for pid in processes_with_home(self.home):
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                rss = next((line for line in status.splitlines() if line.startswith("VmRSS")), "")
                used = int(rss.split()[1]) * 1024 if rss else 0
                total += used
                kind = self._roles.setdefault(pid, role(pid))
                self.by_role[kind] = max(self.by_role[kind], used)
                if (cpu := cpu_seconds(pid)) is not None:
                    self._cpu[pid] = (self._cpu.get(pid, (cpu, cpu))[0], cpu)
            self.peak_bytes = max(self.peak_bytes, total)

    @property
    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds by role between each process's first and last sample (a run's start-up
        before its first sample is not counted)."""
        used: dict[str, float] = defaultdict(float)
        for pid, (first, last) in self._cpu.items():
            used[self._roles[pid]] += last - first
        return {name: round(seconds, 1) for name, seconds in sorted(used.items())}


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds a process has used, or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def launch(server: DagsterDev, params: dict[str, object]) -> str:
    result = server.query(LAUNCH_BACKFILL, params=params)["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise RuntimeError(f"backfill not launched: {result}")
    return result["backfillId"]


def stop_sensor(server: DagsterDev, name: str) -> None:
    """Stopped as a user stops it on its page, so that only the measured backfill runs."""
    selector = {
        "repositoryLocationName": LOCATION,
        "repositoryName": REPOSITORY,
        "sensorName": name,
    }
    sensor = server.query(SENSOR, selector=selector)["sensorOrError"]
    if sensor["__typename"] != "Sensor":
        raise RuntimeError(f"sensor {name} not found: {sensor}")
    stopped = server.query(STOP_SENSOR, id=sensor["id"])["stopSensor"]
    if stopped["__typename"] != "StopSensorMutationResult":
        raise RuntimeError(f"sensor {name} not stopped: {stopped}")


def graph_params(symbols: Sequence[str], years: Sequence[str]) -> dict[str, object]:
    """The whole batch graph over a rectangle: multi-partition ranges span both dimensions."""
    first, last = symbols[0], symbols[-1]
    by_asset = [
        {"assetKey": {"path": key.path}, "partitions": {"range": {"start": first, "end": last}}}
        for key in SYMBOL_ASSETS
    ]
    by_asset += [
        {
            "assetKey": {"path": key.path},
            "partitions": {"range": {"start": f"{first}|{years[0]}", "end": f"{last}|{years[-1]}"}},
        }
        for key in SYMBOL_YEAR_ASSETS
    ]
    by_asset += [
        {"assetKey": {"path": key.path}, "partitions": None} for key in UNPARTITIONED_ASSETS
    ]
    return {"partitionsByAssets": by_asset, "title": "bench"}


def step_times(runs: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Summed time of each step key over `runs`, from their step stats."""
    stages: dict[str, float] = defaultdict(float)
    for run in runs:
        for step in run["stepStats"]:
            if step["startTime"] and step["endTime"]:
                stages[step["stepKey"]] += step["endTime"] - step["startTime"]
    return {key: round(seconds, 1) for key, seconds in sorted(stages.items())}


def where_the_wall_went(
    runs: Sequence[dict[str, Any]], launched: float, ended: float
) -> tuple[float, float]:
    """(seconds from launch to end in which no run of the backfill was queued or running, the
    runs' summed seconds from creation to their first step): what the daemon's passes cost,
    and what queueing and process start-up cost, beside the step time."""
    spans = sorted((run["creationTime"], run["endTime"] or ended) for run in runs)
    busy, reach = 0.0, launched
    for start, end in spans:
        start, end = max(start, reach), max(end, reach)
        busy += end - start
        reach = end
    start_up = sum(
        min(step["startTime"] for step in run["stepStats"] if step["startTime"])
        - run["creationTime"]
        for run in runs
        if any(step["startTime"] for step in run["stepStats"])
    )
    return round(max(ended - launched - busy, 0.0), 1), round(start_up, 1)


def size_mib(path: Path) -> float:
    files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
    return round(sum(f.stat().st_size for f in files) / 2**20, 1)


def warehouse_size(server: DagsterDev, warehouse: WarehouseResource) -> float:
    """The lake's data files, or the DuckDB file and the snapshots published beside it."""
    if warehouse.backend == "ducklake":
        return size_mib(Path(warehouse.lake_data_path))
    snapshots = server.warehouse.with_suffix(".snapshots")
    return size_mib(server.warehouse) + (size_mib(snapshots) if snapshots.exists() else 0.0)


REFRESH_TAG = "sensequant/bench"


def evening_refresh(server: DagsterDev, symbols: Sequence[str], year: int) -> dict[str, Any]:
    """The weekday 18:00 refresh as its schedule launches it: bars_job over every symbol's
    current year, in the schedule's own chunks (`current_year_requests`), through GraphQL.
    Measures its wall, its summed step time and how much it grows the instance."""
    from sensequant_assets.defs.ingestion.schedules import current_year_requests

    home = server.root / "dagster_home"
    before = size_mib(home)
    requests = current_year_requests(list(symbols), year, "bench")
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
    started = time.monotonic()
    for request in requests:
        tags = {**request.tags, REFRESH_TAG: "evening-refresh"}
        params = {
            "selector": {**selector, "jobName": "bars_job"},
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        }
        result = server.query(LAUNCH_RUN, params=params)["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            raise RuntimeError(f"refresh run {request.tags} not launched: {result}")

    def finished() -> list[dict[str, Any]] | None:
        runs = server.query(RUNS, key=REFRESH_TAG, value="evening-refresh")["runsOrError"][
            "results"
        ]
        done = len(runs) == len(requests) and all(
            run["status"] in {"SUCCESS", "FAILURE", "CANCELED"} for run in runs
        )
        return runs if done else None

    runs = wait_for("the evening refresh", finished, 3600, server, 1)
    wall = time.monotonic() - started
    stages = step_times(runs)
    return {
        "refresh_runs": len(runs),
        "refresh_statuses": sorted({run["status"] for run in runs}),
        "refresh_wall_s": round(wall, 1),
        "refresh_step_s": round(sum(stages.values()), 1),
        "refresh_stage_s": stages,
        "refresh_instance_growth_mib": round(size_mib(home) - before, 1),
    }


def paced_instance(root: Path, backfill_pass_s: int) -> None:
    """The project's dagster.yaml with the backfill daemon passing every `backfill_pass_s`."""
    config = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    config["run_coordinator"]["config"]["backfill_pass_seconds"] = backfill_pass_s
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))


def measure(
    server: DagsterDev,
    warehouse: WarehouseResource,
    label: str,
    params: dict[str, object],
    symbols: Sequence[str],
    years: Sequence[str],
) -> Measurement:
    load_at_launch = os.getloadavg()[0]
    with PeakMemory(str(server.root / "dagster_home")) as memory:
        started, launched = time.monotonic(), time.time()
        backfill_id = launch(server, params)
        status = wait_for_backfill(server.url, backfill_id, timeout_s=BACKFILL_BOUND_S, poll_s=1)
        wall = time.monotonic() - started
        ended = time.time()
    load = f"{load_at_launch:.1f} at launch, {os.getloadavg()[0]:.1f} at the end"
    runs = server.query(RUNS, key="dagster/backfill", value=backfill_id)["runsOrError"]["results"]
    checked = {
        row["partition"]
        for row in server.query(CHECK_RESULTS, name="coverage_check")["assetCheckExecutions"]
        if row["status"] in {"SUCCEEDED", "FAILED"}
    }
    with warehouse.get_connection() as conn:
        [(rows,)] = conn.execute("SELECT count(*) FROM daily_bars").fetchall()
        trained = {
            s for (s,) in conn.execute("SELECT DISTINCT symbol FROM teacher_runs").fetchall()
        }
    untrained = ", ".join(sorted(set(symbols) - trained))
    failed = backfill_failures(server, backfill_id) + (
        f" (no model: {untrained})" if untrained else ""
    )
    passed, coverage_failed = coverage(server)
    n = len(symbols)
    bars = n * len(years)
    stages = step_times(runs)
    steps = sum(stages.values())
    idle, start_up = where_the_wall_went(runs, launched, ended)
    home = server.root / "dagster_home"
    pace = yaml.safe_load((home / "dagster.yaml").read_text())["run_coordinator"]["config"]
    return Measurement(
        label,
        n,
        len(years),
        bars,
        status,
        round(wall, 1),
        len(runs),
        round(wall / bars, 3),
        round(memory.peak_bytes / 2**20),
        len(checked),
        rows,
        round(rows / wall),
        failed,
        f"{years[0]}-{years[-1]}",
        passed,
        coverage_failed,
        load,
        pace["backfill_pass_seconds"],
        round(steps, 1),
        round(wall / steps, 2) if steps else 0.0,
        stages,
        {name: round(peak / 2**20) for name, peak in sorted(memory.by_role.items())},
        size_mib(home),
        warehouse_size(server, warehouse),
        idle_s=idle,
        start_up_s=start_up,
        cpu_s_by_role=memory.cpu_by_role,
    )


@contextmanager
def instance(
    deployment: Deployment, root: Path, settings: dict[str, str]
) -> Iterator[tuple[DagsterDev, WarehouseResource]]:
    """`dagster dev` on sqlite, or the deployment shape (code server, webserver, daemon) on a
    private PostgreSQL started for the measurement; with the warehouse its runs write. Every
    process gets `settings` on top of the test environment."""
    if deployment == "sqlite":
        with dagster_dev(root, settings=settings) as server:
            yield server, WarehouseResource(database=str(server.warehouse))
        return
    with local_postgres() as postgres:
        catalog = postgres.database("bench")
        data = str(root / "lake")
        lake = {"SENSEQUANT_WAREHOUSE_BACKEND": "ducklake", "SENSEQUANT_LAKE_DATA_PATH": data}
        chosen = lake if deployment == "postgres+ducklake" else {}
        with deployed(root, catalog, {**chosen, **settings}) as server:
            if not chosen:
                yield server, WarehouseResource(database=str(server.warehouse))
                return
            home = {
                **os.environ,
                **catalog,
                **settings,
                "DAGSTER_HOME": str(root / "dagster_home"),
            }
            dagster = str(Path(sys.executable).parent / "dagster")
            pool = [dagster, "instance", "concurrency", "set", WAREHOUSE_POOL, str(LAKE_WRITERS)]
            subprocess.run(pool, env=home, check=True, capture_output=True)
            yield (
                server,
                WarehouseResource(
                    database=str(server.warehouse),  # required by the resource; never opened
                    backend="ducklake",
                    lake_data_path=data,
                    lake_catalog_host=catalog["DAGSTER_PG_HOST"],
                    lake_catalog_port=int(catalog["DAGSTER_PG_PORT"]),
                    lake_catalog_db=catalog["DAGSTER_PG_DB"],
                    lake_catalog_user=catalog["DAGSTER_PG_USER"],
                    lake_catalog_password=catalog["DAGSTER_PG_PASSWORD"],
                ),
            )


def asset_backfill(
    n_symbols: int = 100,
    history: History = BASELINE_HISTORY,
    deployment: Deployment = "sqlite",
    backfill_pass_s: int | None = None,
    then: Callable[[DagsterDev, Sequence[str]], dict[str, Any]] | None = None,
) -> Measurement:
    """The whole-graph backfill of `n_symbols` x `history`; `then` measures more on the same
    instance once it ended (the UI's pages, the evening refresh) into `Measurement.after`."""
    symbols = universe(n_symbols)
    with tempfile.TemporaryDirectory() as tmp:
        if backfill_pass_s is not None:
            paced_instance(Path(tmp), backfill_pass_s)
        settings = {**history.settings, **market_reference(Path(tmp), symbols)}
        with instance(deployment, Path(tmp), settings) as (server, warehouse):
            measured = backfill_on(server, warehouse, symbols, history, deployment)
            print(f"backfill: {json.dumps(asdict(measured))}", flush=True)  # kept if `then` fails
            return replace(measured, after=then(server, symbols)) if then else measured


def backfill_on(
    server: DagsterDev,
    warehouse: WarehouseResource,
    symbols: Sequence[str],
    history: History,
    deployment: Deployment,
) -> Measurement:
    register_symbols(server.url, symbols)
    # The batch's list, for coverage_report; with the sensor left running it would also start
    # a second backfill of its own, racing the measured one (docs/benchmarks.md).
    stop_sensor(server, "constituent_lists_sensor")
    (server.constituents / "bench.txt").write_text("\n".join(listed_today(symbols)) + "\n")
    return measure(
        server,
        warehouse,
        f"asset backfill on {deployment}, multi_run({PARTITIONS_PER_RUN}), whole graph, "
        f"years {history}",
        graph_params(symbols, history.keys),
        symbols,
        history.keys,
    )


def per_partition_baseline(n_symbols: int = 10, history: History = BASELINE_HISTORY) -> Measurement:
    """daily_bars and its checks, one run per partition launched through GraphQL, as a sensor or
    a user clicking each partition would (a job backfill would batch them by the policy)."""
    symbols = universe(n_symbols)
    year_keys = history.keys
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
    with (
        tempfile.TemporaryDirectory() as tmp,
        dagster_dev(Path(tmp), settings=history.settings) as server,
    ):
        register_symbols(server.url, symbols)
        mapping = launch(
            server,
            {"partitionNames": symbols, "assetSelection": [{"path": ["symbol_mapping"]}]},
        )
        wait_for_backfill(server.url, mapping, timeout_s=600, poll_s=1)
        keys = [f"{s}|{y}" for s in symbols for y in year_keys]
        with PeakMemory(str(server.root / "dagster_home")) as memory:
            started = time.monotonic()
            for key in keys:
                params = {
                    "selector": {**selector, "jobName": "bars_job"},
                    "executionMetadata": {"tags": [{"key": "dagster/partition", "value": key}]},
                }
                result = server.query(LAUNCH_RUN, params=params)["launchRun"]
                if result["__typename"] != "LaunchRunSuccess":
                    raise RuntimeError(f"run for {key} not launched: {result}")
            statuses = wait_for(
                "per-partition runs", lambda: finished_runs(server, len(keys)), 3600, server, 1
            )
            wall = time.monotonic() - started
        checked = {
            row["partition"]
            for row in server.query(CHECK_RESULTS, name="coverage_check")["assetCheckExecutions"]
            if row["status"] in {"SUCCEEDED", "FAILED"}
        }
        return Measurement(
            "one run per partition, daily_bars + checks",
            n_symbols,
            len(year_keys),
            len(keys),
            "all SUCCESS" if set(statuses) == {"SUCCESS"} else str(set(statuses)),
            round(wall, 1),
            len(keys),
            round(wall / len(keys), 3),
            round(memory.peak_bytes / 2**20),
            len(checked),
            year_range=str(history),
        )


def finished_runs(server: DagsterDev, expected: int) -> list[str] | None:
    runs = server.query(BARS_RUNS)["runsOrError"]["results"]
    statuses = [run["status"] for run in runs]
    done = len(statuses) >= expected and all(
        s in {"SUCCESS", "FAILURE", "CANCELED"} for s in statuses
    )
    return statuses if done else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument(
        "--from",
        dest="first",
        type=int,
        default=BASELINE_HISTORY.first,
        help="first year: the instance's SENSEQUANT_FIRST_YEAR too",
    )
    parser.add_argument("--to", dest="last", type=int, default=BASELINE_HISTORY.last)
    parser.add_argument("--baseline-symbols", type=int, default=10)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--backfill-pass",
        type=int,
        default=None,
        help="seconds between the backfill daemon's passes (default: the project's dagster.yaml)",
    )
    parser.add_argument(
        "--deployment", choices=["sqlite", "postgres", "postgres+ducklake"], default="sqlite"
    )
    args = parser.parse_args(argv)
    history = History(args.first, args.last)
    results = [asset_backfill(args.symbols, history, args.deployment, args.backfill_pass)]
    if not args.skip_baseline:
        results.append(per_partition_baseline(args.baseline_symbols, history))
    for result in results:
        print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
