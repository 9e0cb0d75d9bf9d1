"""The deployment's resources: which source, which warehouse, which folders, which settings.

Every environment-dependent choice is made here, once, from environment variables: a variable
that is set is bound with `dg.EnvVar` (the UI's resource page shows its name, never a secret's
value); one that is not falls back to the project's own `data/` folder. Assets, checks and
sensors only ever see the resources.
"""

import os
from collections.abc import Mapping

import dagster as dg

from sensequant_assets.alerts import AlertsResource
from sensequant_assets.paths import DATA_DIR, ProjectPaths
from sensequant_assets.sources.base import BarSource
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets.sources.legacy_csv import LegacyCsvSource
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.warehouse.resources import WarehouseResource

SOURCES = ("synthetic", "csv", "breeze")


def setting(variable: str, default: str) -> str | dg.EnvVar:
    """`variable` as an EnvVar where the environment sets it, else the project default."""
    return dg.EnvVar(variable) if os.environ.get(variable) else default


def int_setting(variable: str, default: int) -> int:
    """`setting` for an int or bool field: Dagster binds environment variables to those only
    through `dg.EnvVar.int` (a bool field then reads "true", "false", "1" or "0")."""
    return dg.EnvVar.int(variable) if os.environ.get(variable) else default


# Every deployment setting of the Breeze source and its variable, so that all runs (UI, sensor,
# schedule, CLI) of one deployment share endpoints, timeouts and limits without run config.
BREEZE_SETTINGS = {
    "api_url": "BREEZE_API_URL",
    "historical_url": "BREEZE_HISTORICAL_URL",
    "security_master_url": "BREEZE_SECURITY_MASTER_URL",
    "request_timeout_seconds": "BREEZE_TIMEOUT_SECONDS",
    "session_timeout_seconds": "BREEZE_SESSION_TIMEOUT_SECONDS",
    "max_retries": "BREEZE_MAX_RETRIES",
    "backoff_seconds": "BREEZE_BACKOFF_SECONDS",
    "max_backoff_seconds": "BREEZE_MAX_BACKOFF_SECONDS",
    "calls_per_minute": "BREEZE_CALLS_PER_MINUTE",
    "calls_per_day": "BREEZE_CALLS_PER_DAY",
    "rate_margin_percent": "BREEZE_RATE_MARGIN_PERCENT",
    "refetch_empty_years": "BREEZE_REFETCH_EMPTY_YEARS",
}


def breeze_setting(field: str) -> object:
    """One Breeze setting bound to its variable, defaulting to the source's own default."""
    default = BreezeSource.model_fields[field].default
    variable = BREEZE_SETTINGS[field]
    return (
        int_setting(variable, default) if isinstance(default, int) else setting(variable, default)
    )


def automation_on(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this deployment runs itself: `SENSEQUANT_AUTOMATION=on` starts the evening refresh,
    the freshness check and the teacher's automation sensor RUNNING (each stays switchable in the
    UI). Unset, as under `make demo` and the tests, they start STOPPED and launch nothing."""
    value = (environ if environ is not None else os.environ).get("SENSEQUANT_AUTOMATION", "")
    return value.strip().lower() in {"on", "1", "true", "yes"}


def automation_status(environ: Mapping[str, str] | None = None) -> dg.DefaultSensorStatus:
    """The default status of whatever runs by itself (schedules convert it by name)."""
    return (
        dg.DefaultSensorStatus.RUNNING if automation_on(environ) else dg.DefaultSensorStatus.STOPPED
    )


def teacher_settings() -> TeacherSettings:
    """The deployment's teacher settings; the teacher assets' code versions are derived from the
    same object, so a changed setting marks their materializations unsynced."""
    return TeacherSettings()


def alerts() -> AlertsResource:
    return AlertsResource(
        log_file=setting("SENSEQUANT_ALERTS_LOG", str(DATA_DIR / "alerts.log")),
        webhook_url=setting("SENSEQUANT_ALERTS_WEBHOOK", ""),
    )


def project_paths() -> ProjectPaths:
    return ProjectPaths(
        constituents_dir=setting("SENSEQUANT_CONSTITUENTS_DIR", str(DATA_DIR / "constituents")),
        reference_dir=setting("SENSEQUANT_REFERENCE_DIR", str(DATA_DIR / "reference")),
        reports_dir=setting("SENSEQUANT_REPORTS_DIR", str(DATA_DIR / "reports")),
        models_dir=setting("SENSEQUANT_MODELS_DIR", str(DATA_DIR / "models")),
    )


def bar_source(kind: str | None = None) -> BarSource:
    """The source `SENSEQUANT_SOURCE` names (default: the embedded synthetic source)."""
    kind = (kind or os.environ.get("SENSEQUANT_SOURCE") or "synthetic").strip().lower()
    if kind == "synthetic":
        return SyntheticSource(
            reference_dir=setting("SENSEQUANT_REFERENCE_DIR", str(DATA_DIR / "reference"))
        )
    if kind == "csv":
        return LegacyCsvSource(
            root_dir=setting("SENSEQUANT_LEGACY_DIR", str(DATA_DIR / "historical"))
        )
    if kind == "breeze":
        return BreezeSource(
            api_key=dg.EnvVar("BREEZE_API_KEY"),
            api_secret=dg.EnvVar("BREEZE_API_SECRET"),
            session_token=dg.EnvVar("BREEZE_SESSION_TOKEN"),
            cache_dir=setting("SENSEQUANT_CACHE_DIR", str(DATA_DIR / "cache" / "breeze")),
            **{field: breeze_setting(field) for field in BREEZE_SETTINGS},
        )
    raise ValueError(
        f"SENSEQUANT_SOURCE={kind!r} is not one of {', '.join(SOURCES)}; set it to one of them."
    )


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": WarehouseResource(
                database=setting("SENSEQUANT_WAREHOUSE", str(DATA_DIR / "warehouse.duckdb"))
            ),
            "bar_source": bar_source(),
            "paths": project_paths(),
            "teacher": teacher_settings(),
            "alerts": alerts(),
        }
    )
