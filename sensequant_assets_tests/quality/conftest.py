"""Reference files of the quality tests' own: LICI listed mid-2022, as the checked-in one says;
the checked-in calendar corrections; no corporate action unless a test writes one."""

import datetime as dt
import shutil
from pathlib import Path

import pytest

from sensequant_assets.paths import REFERENCE_DIR, ProjectPaths
from sensequant_assets.universe.reference import (
    CORPORATE_ACTIONS_FILE,
    SESSIONS_FILE,
    load_listing_dates,
)
from sensequant_assets_tests.quality.factories import write_listings


@pytest.fixture
def reference_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "reference"
    directory.mkdir()
    write_listings(str(directory), {"LICI": "2022-05-17"})
    shutil.copy(REFERENCE_DIR / SESSIONS_FILE, directory / SESSIONS_FILE)
    (directory / CORPORATE_ACTIONS_FILE).write_text(
        "symbol,ex_date,kind,ratio,note\n", encoding="utf-8"
    )
    return directory


@pytest.fixture
def paths(paths: ProjectPaths, reference_dir: Path) -> ProjectPaths:
    # A new resource, not `model_copy(update=...)`: Dagster runs initialise a resource from the
    # config it was built with, so a copied one silently read the checked-in folder in runs.
    return ProjectPaths(**{**paths.model_dump(), "reference_dir": str(reference_dir)})


@pytest.fixture
def listings(reference_dir: Path) -> dict[str, dt.date]:
    return load_listing_dates(reference_dir / "listings.csv")
