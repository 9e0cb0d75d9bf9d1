"""The web UI listens on loopback only unless the user asks otherwise.

The proof is the sockets themselves: the webserver is started the way `make ui` starts it, and
once it answers, every listening socket of its process group is read from /proc/net and must be
on 127.0.0.1. Starting it also without -h shows Dagster's own default is loopback.
"""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from sensequant_assets.paths import REPO_ROOT
from sensequant_assets_tests.faults.processes import child_env, project_instance

BIN = REPO_ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening_addresses(pids: set[int]) -> set[str]:
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with_target = os.readlink(fd) if fd.exists() else ""
            if match := re.fullmatch(r"socket:\[(\d+)\]", with_target):
                inodes.add(match.group(1))
    addresses = set()
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                addresses.add(fields[1].rsplit(":", 1)[0])
    return addresses


def group_pids(pgid: int) -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.add(int(entry.name))
            except ProcessLookupError:
                continue
    return pids


def ui_command() -> list[str]:
    """The `ui` recipe of the Makefile, as make would run it."""
    dry = subprocess.run(
        ["make", "-n", "-o", ".venv/bin/.installed", "-o", "instance", "ui"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    [line] = [line for line in dry.splitlines() if " dev " in line]
    return line.split()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["make ui", "dagster-webserver without -h"])
def test_the_ui_listens_on_loopback_only(tmp_path: Path, how: str) -> None:
    port = free_port()
    if how == "make ui":
        command = ui_command()
        assert command[command.index("-h") + 1] == "127.0.0.1"
        command[command.index("-p") + 1] = str(port)
    else:
        command = [str(BIN / "dagster-webserver"), "-p", str(port), "-w", "workspace.yaml"]
    env = child_env(
        tmp_path, project_instance(tmp_path / "home"), PATH=f"{BIN}:{os.environ['PATH']}"
    )
    server = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(240):
            try:
                if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.25)
        else:
            pytest.fail(f"{' '.join(command)} did not answer on port {port}")
        addresses = listening_addresses(group_pids(server.pid))
        assert addresses, "no listening socket found for the server's process group"
        loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1
        assert addresses <= loopback, addresses
    finally:
        stop(server)


def stop(server: subprocess.Popen[bytes]) -> None:
    """End the server's process group: politely, then for certain. The claim under test is where
    it listens; a slow graceful stop (seen past 30 s on a loaded 2-core runner) is not a failure
    of it, but no process may outlive the test."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
