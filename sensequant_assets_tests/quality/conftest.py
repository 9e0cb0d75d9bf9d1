from pathlib import Path

import pytest

from .factories import write_listings


@pytest.fixture(autouse=True)
def reference_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A listings file of our own: LICI listed mid-2022, as the checked-in one records it."""
    directory = tmp_path / "reference"
    directory.mkdir()
    write_listings(str(directory), {"LICI": "2022-05-17"})
    monkeypatch.setenv("SENSEQUANT_REFERENCE_DIR", str(directory))
    return directory
