"""The deployment shape on one machine: a gRPC code server on a TCP port, and the webserver and
the daemon as separate processes reading a workspace that points at that port, all three on the
Postgres instance. This is what deploy/docker-compose.yaml runs, minus the containers; the
deployment-shape test and the backfill benchmark both start it from here.
"""

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sensequant_assets.cli import LOCATION
from sensequant_assets.paths import REPO_ROOT
from sensequant_assets_tests.support.dagster_dev import (
    STARTUP_TIMEOUT_S,
    DagsterDev,
    environment,
    free_port,
    service,
    wait_until_up,
)


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until the code server accepts connections; fail with its log if it exits or never does."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"code server exited ({process.returncode}):\n{log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"code server not up in {STARTUP_TIMEOUT_S} s:\n{log.read_text()}")


@contextmanager
def deployed(
    root: Path, postgres_env: Mapping[str, str], extra_env: Mapping[str, str] | None = None
) -> Iterator[DagsterDev]:
    """Code server, webserver and daemon on the Postgres instance; the webserver once it answers.

    Everything else (warehouse, models, constituent lists) lives under `root` as for
    `dagster dev` in the end-to-end test; `extra_env` selects another warehouse, say.
    """
    env = {**environment(root), **postgres_env, **(extra_env or {})}
    shutil.copy(REPO_ROOT / "dagster-postgres.yaml", Path(env["DAGSTER_HOME"]) / "dagster.yaml")
    grpc_port, web_port = free_port(), free_port()
    workspace = root / "workspace.yaml"
    workspace.write_text(
        "load_from:\n"
        "  - grpc_server:\n"
        "      host: 127.0.0.1\n"
        f"      port: {grpc_port}\n"
        f"      location_name: {LOCATION}\n"
    )
    bin_dir = Path(sys.executable).parent
    code_server = [str(bin_dir / "dagster"), "code-server", "start", "-h", "127.0.0.1"]
    code_server += ["-p", str(grpc_port), "-m", "sensequant_assets.definitions"]
    code_server += ["--location-name", LOCATION]
    webserver = [str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(web_port)]
    daemon = [str(bin_dir / "dagster-daemon"), "run"]
    server = DagsterDev(f"http://127.0.0.1:{web_port}", root, root / "webserver.log")
    with ExitStack() as services:
        code_log = root / "code_server.log"
        code = services.enter_context(service(code_server, env, code_log))
        wait_for_port(grpc_port, code, code_log)
        web = services.enter_context(service([*webserver, "-w", str(workspace)], env, server.log))
        services.enter_context(service([*daemon, "-w", str(workspace)], env, root / "daemon.log"))
        wait_until_up(server, web)
        yield server
