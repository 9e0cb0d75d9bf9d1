"""Reference files of the quality tests' own: LICI listed mid-2022, as the checked-in one says."""

import datetime as dt
from pathlib import Path

import pytest

from sensequant_assets.paths import ProjectPaths
from sensequant_assets.universe.reference import load_listing_dates
from sensequant_assets_tests.quality.factories import write_listings


@pytest.fixture
def reference_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "reference"
    directory.mkdir()
    write_listings(str(directory), {"LICI": "2022-05-17"})
    return directory


@pytest.fixture
def paths(paths: ProjectPaths, reference_dir: Path) -> ProjectPaths:
    return ProjectPaths(
        constituents_dir=paths.constituents_dir,
        reference_dir=str(reference_dir),
        reports_dir=paths.reports_dir,
        models_dir=paths.models_dir,
    )


@pytest.fixture
def listings(reference_dir: Path) -> dict[str, dt.date]:
    return load_listing_dates(reference_dir / "listings.csv")
