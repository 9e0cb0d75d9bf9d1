"""Breeze deployment settings come from the environment, so every run (UI, sensor, schedule, CLI)
of one deployment uses the same endpoints, timeouts, retries and limits without run config."""

import dagster as dg
import pytest

from sensequant_assets.definitions import defs
from sensequant_assets.defs.resources import BREEZE_SETTINGS, bar_source
from sensequant_assets.paths import REPO_ROOT
from sensequant_assets.sources.breeze.source import BreezeSource

CREDENTIALS = {
    "BREEZE_API_KEY": "placeholder-key",
    "BREEZE_API_SECRET": "placeholder-secret",
    "BREEZE_SESSION_TOKEN": "placeholder-token",
}
PROXY = "http://breeze-proxy.internal:8080"
# A deployment behind a proxy, with its own limits; every value differs from the default.
# variable: (what the environment holds, what a run's step sees)
DEPLOYMENT: dict[str, tuple[str, object]] = {
    "BREEZE_API_URL": (f"{PROXY}/breezeapi/api/v1/",) * 2,
    "BREEZE_HISTORICAL_URL": (f"{PROXY}/api/v2/",) * 2,
    "BREEZE_SECURITY_MASTER_URL": (f"{PROXY}/SecurityMaster.zip",) * 2,
    "BREEZE_TIMEOUT_SECONDS": ("45", 45),
    "BREEZE_SESSION_TIMEOUT_SECONDS": ("240", 240),
    "BREEZE_MAX_RETRIES": ("6", 6),
    "BREEZE_BACKOFF_SECONDS": ("3", 3),
    "BREEZE_MAX_BACKOFF_SECONDS": ("90", 90),
    "BREEZE_CALLS_PER_MINUTE": ("80", 80),
    "BREEZE_CALLS_PER_DAY": ("4000", 4000),
    "BREEZE_DAILY_RESERVE": ("300", 300),
    "BREEZE_RATE_MARGIN_PERCENT": ("5", 5),
    "BREEZE_REFETCH_EMPTY_YEARS": ("true", True),
}


def _resolved(source: dg.ConfigurableResource) -> dict[str, object]:
    """The settings a run's step sees, after Dagster resolved every EnvVar."""
    seen: dict[str, object] = {}

    @dg.asset
    def read_settings(bar_source: BreezeSource) -> None:
        seen.update(bar_source.model_dump())

    assert dg.materialize([read_settings], resources={"bar_source": source}).success
    return seen


def test_the_code_location_binds_every_setting_to_its_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environment = {variable: held for variable, (held, _) in DEPLOYMENT.items()}
    for name, value in {**CREDENTIALS, **environment, "SENSEQUANT_SOURCE": "breeze"}.items():
        monkeypatch.setenv(name, value)

    seen = _resolved(defs().resources["bar_source"])

    assert set(BREEZE_SETTINGS.values()) == set(DEPLOYMENT)
    for field, variable in BREEZE_SETTINGS.items():
        assert seen[field] == DEPLOYMENT[variable][1], variable
        assert seen[field] != BreezeSource.model_fields[field].default, variable


def test_unset_variables_leave_the_real_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for variable in BREEZE_SETTINGS.values():
        monkeypatch.delenv(variable, raising=False)

    seen = _resolved(bar_source("breeze"))

    for field in BREEZE_SETTINGS:
        assert seen[field] == BreezeSource.model_fields[field].default, field
    assert seen["historical_url"] == "https://breezeapi.icicidirect.com/api/v2/"
    assert (seen["calls_per_minute"], seen["calls_per_day"]) == (100, 5000)


def test_each_setting_says_which_variable_sets_it() -> None:
    """The UI's resource page shows the descriptions, and docs/data.md (where the README sends a
    reader for Breeze's settings) lists the variables."""
    settings_page = (REPO_ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    for field, variable in BREEZE_SETTINGS.items():
        assert f"(env {variable}" in str(BreezeSource.model_fields[field].description), field
        assert f"`{variable}`" in settings_page, variable
