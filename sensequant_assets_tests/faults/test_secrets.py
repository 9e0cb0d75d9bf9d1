"""Breeze credentials set to marker strings leave no trace anywhere a run writes."""

from pathlib import Path

import pytest

from sensequant_assets_tests.faults.processes import finish, project_instance, start_run

MARKERS = {
    "BREEZE_API_KEY": "MARKER-KEY-5f1c",
    "BREEZE_API_SECRET": "MARKER-SECRET-9a7e",
    "BREEZE_SESSION_TOKEN": "MARKER-TOKEN-33d0",
}


@pytest.mark.slow
def test_a_full_synthetic_run_writes_no_credential_anywhere(tmp_path: Path, monkeypatch):
    """Event log, run records and tags (sqlite files in DAGSTER_HOME), compute logs, the
    warehouse file and its WAL, the cache folder, stdout and the debug log on stderr."""
    for name, value in MARKERS.items():
        monkeypatch.setenv(name, value)
    home = project_instance(tmp_path / "dagster_home")
    warehouse = tmp_path / "warehouse.duckdb"
    log = tmp_path / "run.log"
    returncode, stdout = finish(start_run(warehouse, log, dagster_home=home))
    assert returncode == 0 and "COMMITTED 1" in stdout
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert warehouse in written and any(p.suffix == ".db" for p in written)
    for path in written:
        content = path.read_bytes()
        for value in MARKERS.values():
            assert value.encode() not in content, f"{value} found in {path}"
    for value in MARKERS.values():
        assert value not in stdout
