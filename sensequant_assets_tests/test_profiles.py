"""Live and synthetic data never share a place: one switch (SENSEQUANT_PROFILE) selects the
instance, warehouse, cache, list folder, reports, models, alerts and secrets, and every entry
point (make, sensequant, the demo, `dagster`/`dg` through `.env`) finds the profile's instance
with no variable set, unless the user sets DAGSTER_HOME."""

import os
import subprocess
from pathlib import Path

import pytest
from dotenv import dotenv_values

from sensequant_assets.defs.resources import alerts, bar_source, project_paths, warehouse
from sensequant_assets.paths import REPO_ROOT
from sensequant_assets.profiles import (
    PROFILES,
    ProfileError,
    active_profile,
    dotenv_text,
    ensure_dotenv,
    ensure_instance,
    instance_mismatch,
)

PLACES = (
    "SENSEQUANT_WAREHOUSE",
    "SENSEQUANT_CACHE_DIR",
    "SENSEQUANT_CONSTITUENTS_DIR",
    "SENSEQUANT_REPORTS_DIR",
    "SENSEQUANT_MODELS_DIR",
    "SENSEQUANT_ALERTS_LOG",
    "SENSEQUANT_CREDENTIALS_DIR",
)


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in (*PLACES, "SENSEQUANT_PROFILE", "SENSEQUANT_SOURCE", "DAGSTER_IS_DEV_CLI"):
        monkeypatch.delenv(variable, raising=False)
    for variable in ("BREEZE_API_KEY", "BREEZE_API_SECRET"):
        monkeypatch.setenv(variable, "placeholder")
    return monkeypatch


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "demo"),
        ({"SENSEQUANT_SOURCE": "synthetic"}, "demo"),
        ({"SENSEQUANT_SOURCE": "breeze"}, "live"),
        ({"SENSEQUANT_SOURCE": "csv"}, "live"),
        ({"SENSEQUANT_PROFILE": "live"}, "live"),
        ({"SENSEQUANT_PROFILE": " Live ", "SENSEQUANT_SOURCE": "breeze"}, "live"),
    ],
)
def test_one_switch_or_the_source_names_the_profile(environ: dict, expected: str) -> None:
    assert active_profile(environ).name == expected


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SENSEQUANT_PROFILE": "prod"}, "SENSEQUANT_PROFILE='prod' is not one of demo, live"),
        (
            {"SENSEQUANT_PROFILE": "demo", "SENSEQUANT_SOURCE": "breeze"},
            "would put market data into the demo profile's instance",
        ),
        (
            {"SENSEQUANT_PROFILE": "live", "SENSEQUANT_SOURCE": "synthetic"},
            "set SENSEQUANT_PROFILE=demo",
        ),
    ],
)
def test_a_profile_that_would_mix_data_is_a_clear_error(environ: dict, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        active_profile(environ)


def bound_places() -> dict[str, str]:
    paths = project_paths()
    source = bar_source()
    return {
        "profile": paths.profile,
        "warehouse": warehouse().database,
        "cache": getattr(source, "cache_dir", ""),
        "secrets": getattr(source, "secrets_dir", ""),
        "lists": paths.constituents_dir,
        "reports": paths.reports_dir,
        "models": paths.models_dir,
        "alerts": alerts().log_file,
    }


def test_live_shares_no_place_with_the_demo(clean: pytest.MonkeyPatch) -> None:
    demo = bound_places()
    clean.setenv("SENSEQUANT_PROFILE", "demo")
    clean.setenv("SENSEQUANT_SOURCE", "breeze")
    with pytest.raises(ProfileError):
        bound_places()
    clean.setenv("SENSEQUANT_PROFILE", "live")
    live = bound_places()
    assert type(bar_source()).__name__ == "BreezeSource"  # the profile's own source
    assert (demo["profile"], live["profile"]) == ("demo", "live")  # on the resource page
    for place in ("warehouse", "lists", "reports", "models", "alerts"):
        assert demo[place] != live[place], place
        assert Path(live[place]).is_relative_to(REPO_ROOT / "data" / "live"), place
    assert Path(live["cache"]).is_relative_to(REPO_ROOT / "data" / "live")
    assert live["secrets"] == str(REPO_ROOT / ".secrets" / "live")
    assert PROFILES["live"].dagster_home != PROFILES["demo"].dagster_home
    # Shipped lists (and the demo's broken symbols) stay with the demo profile.
    assert (PROFILES["demo"].constituents_dir / "demo.txt").exists()


def test_a_variable_still_moves_one_place(clean: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean.setenv("SENSEQUANT_PROFILE", "live")
    clean.setenv("SENSEQUANT_WAREHOUSE", str(tmp_path / "w.duckdb"))
    assert bound_places()["warehouse"] != str(PROFILES["live"].warehouse)


def test_the_instance_is_created_from_the_template_when_missing(tmp_path: Path) -> None:
    home = ensure_instance(PROFILES["demo"], {"DAGSTER_HOME": str(tmp_path / "home")})
    assert (home / "dagster.yaml").read_text() == (REPO_ROOT / "dagster.yaml").read_text()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # the user's own
    ensure_instance(PROFILES["demo"], {"DAGSTER_HOME": str(home)})
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_dotenv_names_the_project_instance_unless_dagster_home_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read as `dagster dev`, `dg dev` and `dagster asset materialize` read it (Dagster's
    `get_env_var_dict`: python-dotenv's `dotenv_values`)."""
    ensure_dotenv(tmp_path / ".env")
    assert (tmp_path / ".env").read_text() == dotenv_text()
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert dotenv_values(tmp_path / ".env") == {"DAGSTER_HOME": str(PROFILES["demo"].dagster_home)}
    monkeypatch.setenv("DAGSTER_HOME", "/somewhere/else")
    assert dotenv_values(tmp_path / ".env") == {"DAGSTER_HOME": "/somewhere/else"}
    (tmp_path / ".env").write_text("MY_SETTING=1\n")  # a .env the user wrote is left alone
    ensure_dotenv(tmp_path / ".env")
    assert (tmp_path / ".env").read_text() == "MY_SETTING=1\n"


def test_dagster_dev_on_the_other_profiles_instance_refuses_to_load() -> None:
    live, demo = PROFILES["live"], PROFILES["demo"]
    dev = {"DAGSTER_IS_DEV_CLI": "1", "DAGSTER_HOME": str(demo.dagster_home)}
    assert "make ui SENSEQUANT_PROFILE=live" in str(instance_mismatch(live, dev))
    assert instance_mismatch(demo, dev) is None
    assert instance_mismatch(live, {**dev, "DAGSTER_HOME": "/tmp/x"}) is None  # the user's
    assert instance_mismatch(live, {"DAGSTER_HOME": str(demo.dagster_home)}) is None  # not dev


@pytest.mark.parametrize(
    ("environ", "home"),
    [
        ({}, ".dagster_home"),
        ({"SENSEQUANT_PROFILE": "live"}, ".dagster_home_live"),
        ({"SENSEQUANT_SOURCE": "breeze"}, ".dagster_home_live"),
    ],
)
def test_make_picks_the_profiles_instance(environ: dict, home: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"} | environ
    dry = subprocess.run(
        ["make", "-nB", "instance"], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert f"cp dagster.yaml {REPO_ROOT / home}/dagster.yaml" in dry.stdout
    assert PROFILES[active_profile(environ).name].dagster_home == REPO_ROOT / home
