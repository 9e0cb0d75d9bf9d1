"""The README's commands as a user pastes them into a plain shell, not through make: each in a
subprocess with a clean environment (no DAGSTER_HOME, no SENSEQUANT_* variable), its working
folder a fresh copy of the checkout, so the project's instance is found without help.

The copy is run with `python -m sensequant_assets.cli` where the README says
`.venv/bin/sensequant`, and `python -m dagster` where it says `.venv/bin/dagster`: the shared
virtual environment's console scripts import the checkout it was installed from (for `dagster`,
as soon as the instance loads its event log class from `sensequant_assets`), `python -m` the one
it runs in. A fresh clone's own `.venv` imports that clone either way.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sensequant_assets.paths import REPO_ROOT

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
# What a fresh clone does not hold: everything a run or an install writes.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".dagster_home*",
    ".env",
    ".secrets",
    ".postgres",
    "__pycache__",
    "*.egg-info",
    ".pytest_cache",
    ".ruff_cache",
    "warehouse*",
    "cache",
    "models",
    "reports",
    "live",
    "lake",
    "alerts.log",
    "logs",
)
SHRINK = '{"ops": {"daily_bars": {"config": {"allow_shrink": true}}}}'


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clone") / "sensequant-assets"
    shutil.copytree(REPO_ROOT, root, ignore=NOT_IN_A_CLONE)
    return root


def shell(clone: Path, *command: str, stdin: str = "", **extra: str) -> str:
    """One command as typed in a new terminal in the checkout: PATH, HOME and proxy rules only."""
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(clone.parent / "home"),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        **extra,
    }
    done = subprocess.run(
        command, cwd=clone, env=env, input=stdin, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{' '.join(command)} -> {done.returncode}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def sensequant(clone: Path, *args: str, **kwargs: str) -> str:
    return shell(clone, str(BIN / "python"), "-m", "sensequant_assets.cli", *args, **kwargs)


def dagster(clone: Path, *args: str) -> str:
    return shell(clone, str(BIN / "python"), "-m", "dagster", *args)


def test_the_readme_commands_work_from_a_plain_shell(clone: Path) -> None:
    assert "breeze-session" in sensequant(clone, "--help")

    # `sensequant demo` (the README's `make demo` without make) on a one-symbol list.
    (clone / "one.txt").write_text("RELIANCE\n")
    demo = sensequant(clone, "demo", "one.txt")
    home = clone / ".dagster_home"
    assert f"recorded in the Dagster instance {home}" in demo
    assert (home / "dagster.yaml").read_text() == (REPO_ROOT / "dagster.yaml").read_text()

    # Dagster's own CLI, as `dagster dev` and `dg dev` open it: the same instance, through .env.
    info = dagster(clone, "instance", "info")
    assert str(home) in info and ".tmp_dagster_home" not in info

    # The README's allow_shrink command, on a partition the demo created in that instance.
    dagster(
        clone,
        "asset",
        "materialize",
        "-m",
        "sensequant_assets.definitions",
        "--select",
        "daily_bars",
        "--partition",
        "RELIANCE|2026",
        "--config-json",
        SHRINK,
    )
    with duckdb.connect(str(clone / "data" / "warehouse.duckdb"), read_only=True) as conn:
        [(rows,)] = conn.execute(
            "SELECT count(*) FROM daily_bars WHERE symbol = 'RELIANCE' AND year(date) = 2026"
        ).fetchall()
    assert rows > 0

    plan = sensequant(
        clone, "intraday", "data/constituents/demo.txt", "--from", "2023-01", "--to", "2025-12"
    )
    assert "Nothing launched" in plan
    assert "snapshots of" in sensequant(clone, "snapshots", "publish")


def test_going_live_starts_its_own_instance_with_an_empty_list_folder(clone: Path) -> None:
    """The going-live section's first steps: the token goes to the live profile's secrets."""
    stored = sensequant(
        clone, "breeze-session", stdin="TOKEN-FROM-ICICI\n", SENSEQUANT_PROFILE="live"
    )
    token = clone / ".secrets" / "live" / "breeze_session_token"
    assert f"in {token}" in stored and "TOKEN-FROM-ICICI" not in stored
    assert oct(token.stat().st_mode & 0o777) == "0o600"
    live = shell(
        clone, str(BIN / "python"), "-m", "sensequant_assets.profiles", SENSEQUANT_PROFILE="live"
    )
    assert str(clone / ".dagster_home_live") in live
    assert list((clone / "data" / "live" / "constituents").iterdir()) == []
    assert os.path.exists(clone / ".dagster_home_live" / "dagster.yaml")
