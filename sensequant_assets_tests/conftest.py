"""Fixtures shared by the suite: a temporary warehouse and Dagster instance per test.

Tests never touch the repo's data/ or .dagster_home: every path goes through tmp_path.
"""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.ingestion.sources.synthetic import SyntheticSource
from sensequant_assets.universe.reference import load_listing_dates
from sensequant_assets.warehouse.resources import WarehouseResource

# Pin "now" so the still-open year is the same on every run of the suite.
FIXED_NOW = dt.datetime(2025, 6, 30, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def isolated_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, sub in {
        "SENSEQUANT_WAREHOUSE": "warehouse.duckdb",
        "SENSEQUANT_MODELS_DIR": "models",
        "SENSEQUANT_REPORTS_DIR": "reports",
        "SENSEQUANT_CACHE_DIR": "cache",
    }.items():
        monkeypatch.setenv(name, str(tmp_path / sub))


@pytest.fixture
def warehouse(tmp_path: Path) -> WarehouseResource:
    return WarehouseResource(database=str(tmp_path / "warehouse.duckdb"), lock_timeout_seconds=5)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def synthetic_source() -> SyntheticSource:
    return SyntheticSource(load_listing_dates(), now=FIXED_NOW)
