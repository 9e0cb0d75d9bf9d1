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


def test_the_event_log_lives_in_the_instances_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dagster's default files, in the folder the instance is loaded from, whatever DAGSTER_HOME
    the loading process has (the template names its event log class, not a folder)."""
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(elsewhere))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization("probe"))
        assert type(instance.event_log_storage).__name__ == "CheckStateSqliteEventLogStorage"
    assert (home / "history" / "runs" / "index.db").is_file()
    assert (home / "history" / "runs.db").is_file()
    assert not elsewhere.exists()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_latest_materialization_event(dg.AssetKey("probe")) is not None
