"""The project's dagster.yaml template loads, and keeps ticks only as long as someone reads them."""

import shutil
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.paths import REPO_ROOT


def test_the_template_bounds_tick_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(REPO_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        retention = instance.get_settings("retention")
    assert retention["schedule"]["purge_after_days"] == 90
    for kind in ("sensor", "auto_materialize"):
        assert retention[kind]["purge_after_days"] == {"skipped": 7, "failure": 30, "success": 30}
