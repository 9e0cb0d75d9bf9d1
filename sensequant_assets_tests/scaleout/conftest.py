"""A database of its own per scale-out test, on the session's PostgreSQL (`postgres_server`,
in the suite's conftest)."""

import re

import pytest

from sensequant_assets_tests.support.postgres import LocalPostgres


@pytest.fixture
def postgres_env(
    postgres_server: LocalPostgres, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """A fresh database named after the test, its DAGSTER_PG_* set here and for child processes."""
    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:60]
    env = postgres_server.database(name)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
