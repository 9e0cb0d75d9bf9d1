"""The Postgres instance template: the same settings as the sqlite default, and it really loads.

Against a real PostgreSQL (started by scripts/postgres.sh): the instance is built from the
template as every Dagster process builds it (DAGSTER_HOME) and a run is recorded and read back.
On request, the four-concurrent-runs pool test with no lock wait at all, which on sqlite failed
3 of 10 (docs/reliability.md).
"""

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml

from sensequant_assets.paths import REPO_ROOT
from sensequant_assets_tests.faults.processes import four_concurrent_runs_write_every_row_once

# The pool test with no lock wait is a measurement, not part of `make test`: it passed 39 of 40
# here (2026-12-01), so in the suite it would fail now and then. Run it with
# POSTGRES_POOL_REPEATS=20 (docs/deploy.md, "What is not done yet").
POOL_REPEATS = int(os.environ.get("POSTGRES_POOL_REPEATS", "0"))


def postgres_home(home: Path) -> Path:
    """A Dagster home with the project's dagster-postgres.yaml as its dagster.yaml."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "dagster-postgres.yaml", home / "dagster.yaml")
    return home


def test_the_postgres_template_is_the_default_plus_its_storage() -> None:
    """Pools, queue, run monitoring and retention must not drift between the two instances."""
    default = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    postgres = yaml.safe_load((REPO_ROOT / "dagster-postgres.yaml").read_text())
    storage = postgres.pop("storage")
    assert postgres == default
    # Every connection setting, the password above all, comes from the environment.
    assert storage["postgres"]["postgres_db"] == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "db_name": {"env": "DAGSTER_PG_DB"},
        "username": {"env": "DAGSTER_PG_USER"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "scheme": "postgresql+psycopg2",
    }


@pytest.mark.slow
def test_the_template_loads_on_postgres_and_keeps_a_run(
    tmp_path: Path, postgres_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(postgres_home(tmp_path / "home")))
    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert instance.get_settings("concurrency")["pools"]["default_limit"] == 1

        @dg.op
        def hello() -> int:
            return 1

        @dg.job
        def probe() -> None:
            hello()

        result = probe.execute_in_process(instance=instance)
        assert result.success
    # Read back through a second instance, as another process (the webserver) would.
    with dg.DagsterInstance.get() as reader:
        record = reader.get_run_by_id(result.run_id)
        assert record is not None and record.status == dg.DagsterRunStatus.SUCCESS
        events = reader.all_logs(result.run_id)
        assert any(event.dagster_event_type == dg.DagsterEventType.RUN_SUCCESS for event in events)


@pytest.mark.slow
@pytest.mark.skipif(
    POOL_REPEATS == 0,
    reason="a measurement, not a gate (39 of 40 passed, docs/reliability.md): set "
    "POSTGRES_POOL_REPEATS=20 to run it",
)
@pytest.mark.parametrize("attempt", range(max(POOL_REPEATS, 1)))
def test_four_concurrent_runs_hold_the_pool_with_no_lock_wait(
    tmp_path: Path, postgres_env: dict[str, str], attempt: int
) -> None:
    """faults/test_concurrency.py's "dagster pool" runs on one Postgres instance, lock wait 0.

    A run that meets DuckDB's file lock fails at once, so every pass proves that the pool let
    exactly one warehouse step in at a time across four processes.

    The pool's row is created before the runs, as the daemon's queue does when it first sees
    the pool. Four processes creating it at once on Postgres hit Dagster's own race (2 of 4
    attempts here: a run fails with UniqueViolation on concurrency_limits_concurrency_key_key in
    initialize_concurrency_limit_to_default); runs launched through the queue never race.
    """
    home = postgres_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:  # migrations once, as dev does
        assert instance.event_log_storage.initialize_concurrency_limit_to_default("warehouse")
    four_concurrent_runs_write_every_row_once(tmp_path, home, lock_timeout=0)
