"""A real `dagster dev` (webserver and daemons) on a throw-away instance, for tests and benchmarks.

Everything it writes lives under one temporary folder: the instance (DAGSTER_HOME, from the
project's dagster.yaml template), the warehouse, models, reports, cache and the watched
constituent-list folder. It is ended as a process group, and then every process still carrying
this DAGSTER_HOME (run workers, code servers) is ended by its pid, so nothing outlives it.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sensequant_assets.cli import FINISHED, LOCATION, graphql
from sensequant_assets.paths import REPO_ROOT

STARTUP_TIMEOUT_S = 180

# Tests that spend most of their time waiting on a daemon's fixed 30 s passes: `make test` runs
# them one after another on one pytest-xdist worker while the other runs everything else.
DAEMON_BOUND = "daemon-bound"


@dataclass(frozen=True)
class DagsterDev:
    url: str
    root: Path
    log: Path

    @property
    def constituents(self) -> Path:
        return self.root / "constituents"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def models(self) -> Path:
        return self.root / "models"

    def query(self, query: str, **variables: Any) -> dict[str, Any]:
        return graphql(self.url, query, variables)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(root: Path) -> dict[str, str]:
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():  # a measurement may have written its own variant
        shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    (root / "constituents").mkdir(exist_ok=True)
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "SENSEQUANT_SOURCE": "synthetic",
        "SENSEQUANT_WAREHOUSE": str(root / "warehouse.duckdb"),
        "SENSEQUANT_MODELS_DIR": str(root / "models"),
        "SENSEQUANT_REPORTS_DIR": str(root / "reports"),
        "SENSEQUANT_CACHE_DIR": str(root / "cache"),
        "SENSEQUANT_CONSTITUENTS_DIR": str(root / "constituents"),
        "SENSEQUANT_ALERTS_LOG": str(root / "alerts.log"),
        "SENSEQUANT_CREDENTIALS_DIR": str(root / "secrets"),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


@contextmanager
def dagster_dev(
    root: Path, module: str | None = None, settings: Mapping[str, str] | None = None
) -> Iterator[DagsterDev]:
    """Start `dagster dev` on a free port; yield once /server_info answers; end it all after.

    It serves the project's code location, or the one `module` defines under the same location
    name (a test location that swaps a resource, say); `settings` override the environment's
    (another profile and source, say).
    """
    env = {**environment(root), **(settings or {})}
    port = free_port()
    log = root / "dagster_dev.log"
    dagster = Path(sys.executable).parent / "dagster"
    command = [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(port)]
    command += ["-w", str(workspace(root, module) if module else REPO_ROOT / "workspace.yaml")]
    with service(command, env, log) as process:
        server = DagsterDev(f"http://127.0.0.1:{port}", root, log)
        wait_until_up(server, process)
        yield server


@contextmanager
def service(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """One long-running Dagster process in its own session, ended with everything it started."""
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop(process, env["DAGSTER_HOME"])


def workspace(root: Path, module: str) -> Path:
    """A workspace.yaml loading `module` as the project's location (same name, same folder)."""
    path = root / "workspace.yaml"
    path.write_text(
        "load_from:\n"
        "  - python_module:\n"
        f"      module_name: {module}\n"
        f"      working_directory: {REPO_ROOT}\n"
        f"      location_name: {LOCATION}\n"
    )
    return path


def wait_until_up(server: DagsterDev, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dagster dev exited ({process.returncode}):\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/server_info", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise TimeoutError(f"dagster dev not up in {STARTUP_TIMEOUT_S} s:\n{server.log_tail()}")


def stop(process: subprocess.Popen[bytes], dagster_home: str) -> None:
    """End the process group, then any straggler started with this DAGSTER_HOME, by pid."""
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(grace)
            break
        except subprocess.TimeoutExpired:
            continue
    # A SIGKILLed process stays readable in /proc for a moment while it exits, and a run worker
    # can still be starting one more: repeat until none is left, so callers may assert on it.
    deadline = time.monotonic() + 30
    while (stragglers := processes_with_home(dagster_home)) and time.monotonic() < deadline:
        for pid in stragglers:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)


FORKSERVER = "multiprocessing.forkserver"
"""In the command line of the code server's preloaded process and of every run it forks."""


def command_line(pid: int) -> str:
    """A process's command line, "" once it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def parent(pid: int) -> int:
    """A process's parent, 0 once it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def run_forkservers(dagster_home: str) -> list[int]:
    """The instance's processes that fork its runs: a forkserver whose parent is a code server
    (`dagster_internals.start_runs_from_preloaded_process`)."""
    return [
        pid
        for pid in processes_with_home(dagster_home)
        if FORKSERVER in command_line(pid) and "api grpc" in command_line(parent(pid))
    ]


def processes_with_home(dagster_home: str) -> list[int]:
    """Pids of this user's processes whose environment names `dagster_home`."""
    marker = f"DAGSTER_HOME={dagster_home}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


BACKFILLS = """
query {
  partitionBackfillsOrError(limit: 50) {
    __typename
    ... on PartitionBackfills { results { id status tags { key value } } }
    ... on PythonError { message }
  }
}"""


def backfills(server: DagsterDev) -> list[dict[str, Any]]:
    result = server.query(BACKFILLS)["partitionBackfillsOrError"]
    if result["__typename"] != "PartitionBackfills":
        raise RuntimeError(f"listing backfills: {result}")
    return result["results"]


def wait_for(what: str, probe: Any, timeout_s: float, server: DagsterDev, poll_s: float = 2) -> Any:
    """Poll `probe()` until it returns something truthy; fail naming `what` and the server log."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := probe():
            return value
        time.sleep(poll_s)
    raise TimeoutError(f"{what}: not within {timeout_s:.0f} s; log:\n{server.log_tail()}")


def all_finished(server: DagsterDev, ids: list[str]) -> dict[str, str] | None:
    statuses = {b["id"]: b["status"] for b in backfills(server) if b["id"] in ids}
    done = len(statuses) == len(ids) and all(s in FINISHED for s in statuses.values())
    return statuses if done else None
