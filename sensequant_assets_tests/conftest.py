"""Fixtures shared by the suite: a temporary warehouse, folders and Dagster instance per test.

Tests never touch the repo's data/ or .dagster_home: they build the resources a deployment would
bind from its environment (`defs/resources.py`), over tmp_path, and hand them to the runs.
"""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.market.history import HistorySettings
from sensequant_assets.paths import REFERENCE_DIR, ProjectPaths
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.warehouse.resources import BACKENDS, WarehouseResource
from sensequant_assets_tests import TEST_FIRST_YEAR
from sensequant_assets_tests.support.lakes import fresh_lake
from sensequant_assets_tests.support.postgres import LocalPostgres, local_postgres

# Pin "now" so the still-open year is the same on every run of the suite.
FIXED_NOW = dt.datetime(2025, 6, 30, 12, 0, tzinfo=dt.UTC)


def synthetic_at_fixed_now(reference_dir: Path = REFERENCE_DIR) -> SyntheticSource:
    return SyntheticSource(reference_dir=str(reference_dir), as_of=FIXED_NOW.isoformat())


@pytest.fixture
def paths(tmp_path: Path) -> ProjectPaths:
    """The checked-in reference files; lists, reports and models under tmp_path."""
    return ProjectPaths(
        constituents_dir=str(tmp_path / "constituents"),
        reference_dir=str(REFERENCE_DIR),
        reports_dir=str(tmp_path / "reports"),
        models_dir=str(tmp_path / "models"),
    )


@pytest.fixture
def history() -> HistorySettings:
    return HistorySettings(first_year=TEST_FIRST_YEAR)


@pytest.fixture
def warehouse(tmp_path: Path) -> WarehouseResource:
    return WarehouseResource(database=str(tmp_path / "warehouse.duckdb"), lock_timeout_seconds=5)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    """One private PostgreSQL for the whole session, started only if a test asks for it."""
    with local_postgres() as server:
        yield server


@pytest.fixture
def lake_warehouse(postgres_server: LocalPostgres, tmp_path: Path) -> WarehouseResource:
    """A DuckLake warehouse: catalog in a fresh database, data files under tmp_path."""
    return fresh_lake(postgres_server, tmp_path)


@pytest.fixture(params=BACKENDS)
def any_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> WarehouseResource:
    """The test once on each backend: the DuckDB file, then a DuckLake."""
    if request.param == "ducklake":
        return request.getfixturevalue("lake_warehouse")
    return WarehouseResource(database=str(tmp_path / "warehouse.duckdb"), lock_timeout_seconds=5)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def synthetic_source() -> SyntheticSource:
    return synthetic_at_fixed_now()
