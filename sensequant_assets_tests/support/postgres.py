"""A private PostgreSQL for a test session, started and stopped by the project's own script.

Tests never rely on a server that happens to run: each session starts one with
`scripts/postgres.sh` in a fresh folder on a free port, gives every test a database of its
own (the same script, a new DAGSTER_PG_DB), and stops it at the end, so the script that
`make postgres-start` runs is the one under test.
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sensequant_assets.paths import REPO_ROOT
from sensequant_assets_tests.support.dagster_dev import free_port

SCRIPT = REPO_ROOT / "scripts" / "postgres.sh"


@dataclass(frozen=True)
class LocalPostgres:
    folder: Path
    port: int

    def script(self, command: str, database: str = "dagster") -> str:
        """Run scripts/postgres.sh on this server; its output, or the failure with its log."""
        result = subprocess.run(
            [str(SCRIPT), command],
            env={**os.environ, **self.env(database), "SENSEQUANT_PG_DIR": str(self.folder)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"postgres.sh {command}: {result.stdout}{result.stderr}")
        return result.stdout

    def env(self, database: str) -> dict[str, str]:
        """The DAGSTER_PG_* variables dagster-postgres.yaml reads, for `database`."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_DB": database,
            "DAGSTER_PG_USER": "postgres",
            "DAGSTER_PG_PASSWORD": "",
        }

    def database(self, name: str) -> dict[str, str]:
        """Create `name` (idempotent, as `make postgres-start` is) and return its environment."""
        self.script("start", name)
        return self.env(name)


@contextmanager
def local_postgres() -> Iterator[LocalPostgres]:
    # Under /tmp, not pytest's tmp_path: the server runs as the `postgres` user when tests run
    # as root, and it cannot enter root's private pytest folders.
    folder = Path(tempfile.mkdtemp(prefix="sensequant-pg-"))
    server = LocalPostgres(folder, free_port())
    try:
        server.script("start")
        yield server
    finally:
        try:
            server.script("stop")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
