"""The code location loads for every source, lists what a user expects, and never imports
breeze_connect at load time."""

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.definitions import defs
from sensequant_assets.defs.resources import automation_on, automation_status, bar_source
from sensequant_assets.paths import REPO_ROOT

PLACEHOLDERS = {
    "BREEZE_API_KEY": "placeholder-key",
    "BREEZE_API_SECRET": "placeholder-secret",
    "BREEZE_SESSION_TOKEN": "placeholder-token",
}
ASSETS = {
    "symbol_mapping",
    "daily_bars",
    "coverage_report",
    "teacher_labels",
    "teacher_model",
    "teacher_universe_model",
    "corporate_actions",
    "intraday_bars",
    "universe_membership",
}
CHECKS = {
    "coverage_check",
    "integrity_check",
    "plausibility_check",
    "mapping_check",
    "calendar_evidence_check",
    "membership_check",
    "freshness_check",
    "teacher_freshness_check",
    "intraday_sessions_check",
    "intraday_hours_check",
    "intraday_integrity_check",
    "intraday_daily_consistency_check",
}
JOBS = {
    "mapping_job",
    "bars_job",
    "bars_checks_job",
    "report_job",
    "teacher_job",
    "universe_job",
    "reference_job",
    "freshness_job",
    "teacher_freshness_job",
    "intraday_job",
    "intraday_checks_job",
    "lake_space_job",
}
SENSORS = {
    "constituent_lists_sensor",
    "written_bars_checks_sensor",
    "failure_alerts_sensor",
    "teacher_automation_sensor",
    "intraday_resume_sensor",
    "written_intraday_checks_sensor",
}
SCHEDULES = {
    "current_year_refresh",
    "freshness_schedule",
    "teacher_freshness_schedule",
    "lake_space_schedule",
}


@pytest.mark.parametrize(
    ("source", "kind"),
    [("synthetic", "SyntheticSource"), ("csv", "LegacyCsvSource"), ("breeze", "BreezeSource")],
)
def test_definitions_load_for_each_source(
    monkeypatch: pytest.MonkeyPatch, source: str, kind: str
) -> None:
    for name, value in {**PLACEHOLDERS, "SENSEQUANT_SOURCE": source}.items():
        monkeypatch.setenv(name, value)
    loaded = defs()
    dg.Definitions.validate_loadable(loaded)
    assert type(loaded.resources["bar_source"]).__name__ == kind


def test_every_asset_check_job_sensor_and_schedule_is_listed() -> None:
    loaded = defs()
    graph = loaded.resolve_asset_graph()
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} == ASSETS
    assert {key.name for key in graph.asset_check_keys} == CHECKS
    assert {job.name for job in loaded.jobs} >= JOBS
    assert {sensor.name for sensor in loaded.sensors} == SENSORS
    assert {schedule.name for schedule in loaded.schedules} == SCHEDULES
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name != "default", f"{key} has no group"
        assert node.kinds, f"{key} declares no kinds"


def test_every_warehouse_asset_names_its_table() -> None:
    graph = defs().resolve_asset_graph()
    for name in (
        "symbol_mapping",
        "daily_bars",
        "teacher_labels",
        "teacher_model",
        "teacher_universe_model",
        "corporate_actions",
    ):
        metadata = graph.get(dg.AssetKey(name)).metadata
        assert metadata["dagster/table_name"], name
        assert metadata["dagster/column_schema"].columns, name


def test_unknown_source_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="SENSEQUANT_SOURCE='bloomberg' is not one of"):
        bar_source("bloomberg")


def test_importing_the_code_location_never_imports_breeze_connect() -> None:
    """breeze_connect downloads a file at import; offline, an eager import would break loading."""
    code = (
        "import sys; from sensequant_assets.definitions import defs; defs(); "
        "sys.exit(1 if 'breeze_connect' in sys.modules else 0)"
    )
    env = {"SENSEQUANT_SOURCE": "breeze", **PLACEHOLDERS, "PATH": ""}
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env).returncode == 0


def test_dg_lists_every_definition_with_its_group_and_kinds() -> None:
    """`dg list defs`, the command a user runs first, sees the project as `dg` scaffolds it."""
    listed = subprocess.run(
        [str(Path(sys.executable).with_name("dg")), "list", "defs", "--json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(listed.stdout)
    assert {asset["asset_key"] for asset in found["assets"]} == ASSETS
    assert all(asset["group_name"] and asset["kinds"] for asset in found["assets"])
    assert {check["key"].split(":")[1] for check in found["asset_checks"]} == CHECKS
    assert {job["name"] for job in found["jobs"]} == JOBS
    assert {sensor["name"] for sensor in found["sensors"]} == SENSORS
    assert {schedule["name"] for schedule in found["schedules"]} == SCHEDULES
    assert {resource["name"] for resource in found["resources"]} == {
        "warehouse",
        "bar_source",
        "paths",
        "teacher",
        "alerts",
        "intraday",
        "history",
    }


def _statuses(loaded: dg.Definitions) -> dict[str, str]:
    return {
        **{sensor.name: sensor.default_status.value for sensor in loaded.sensors},
        **{schedule.name: schedule.default_status.value for schedule in loaded.schedules},
    }


AUTOMATED = {"teacher_automation_sensor", *SCHEDULES}


def test_what_runs_by_itself_starts_running_only_where_the_deployment_says_so() -> None:
    """`SENSEQUANT_AUTOMATION=on` on a deployment; unset under `make demo` and the tests."""
    assert not automation_on({}) and not automation_on({"SENSEQUANT_AUTOMATION": "off"})
    assert automation_on({"SENSEQUANT_AUTOMATION": "on"})
    assert automation_status({"SENSEQUANT_AUTOMATION": "ON"}) == dg.DefaultSensorStatus.RUNNING
    statuses = _statuses(defs())
    assert {statuses[name] for name in AUTOMATED} == {"STOPPED"}
    assert statuses["failure_alerts_sensor"] == "RUNNING"
    code = (
        "from sensequant_assets.definitions import defs; "
        "from sensequant_assets_tests.defs.test_definitions import AUTOMATED, _statuses; "
        "statuses = _statuses(defs()); print(*sorted({statuses[n] for n in AUTOMATED}))"
    )
    env = {"SENSEQUANT_AUTOMATION": "on", "PATH": ""}
    shown = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.split() == ["RUNNING"]
