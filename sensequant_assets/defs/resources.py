"""The deployment's resources: which source, which warehouse, which folders, which settings.

Every environment-dependent choice is made here, once, from environment variables: a variable
that is set is bound with `dg.EnvVar` (the UI's resource page shows its name, never a secret's
value); one that is not falls back to the active profile's place (`profiles.py`: the demo's
`data/`, or `data/live/` for live data), and the profile's name is on the resource page
(`paths` → `profile`). Assets, checks and sensors only ever see the resources.
"""

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg

from sensequant_assets.alerts import AlertsResource
from sensequant_assets.market.history import FIRST_YEAR_VARIABLE, HistorySettings, first_year
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.profiles import active_profile, instance_mismatch
from sensequant_assets.settings import check_variable
from sensequant_assets.sources.base import BarSource
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets.sources.intraday_batch import IntradaySettings
from sensequant_assets.sources.legacy_csv import LegacyCsvSource
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.warehouse.resources import WarehouseResource

SOURCES = ("synthetic", "csv", "breeze")


def setting(variable: str, default: str) -> str | dg.EnvVar:
    """`variable` as an EnvVar where the environment sets it, else `default`."""
    return dg.EnvVar(variable) if os.environ.get(variable) else default


def bound(resource: type[dg.ConfigurableResource], field: str, variable: str) -> object:
    """A resource field bound to `variable` where the environment sets it, else the field's own
    default (declared once, on the resource). Int and bool fields bind through `dg.EnvVar.int`,
    the only way Dagster binds a variable to them (a bool then reads "true", "false", 1 or 0).

    The variable's value is checked against the field's type and bounds here, so a value out of
    bounds fails the code location's load naming the variable (`SettingError`), not a run later:
    Dagster itself checks an EnvVar only when a run resolves it."""
    info = resource.model_fields[field]
    if not os.environ.get(variable):
        return info.default
    deployed(resource, field, variable)
    return dg.EnvVar.int(variable) if isinstance(info.default, int) else dg.EnvVar(variable)


def deployed(resource: type[dg.ConfigurableResource], field: str, variable: str) -> Any:
    """The value a run resolves `bound(resource, field, variable)` to, known now: the variable's,
    checked against the field's type and bounds (`SettingError` naming it), else the field's
    default. For the CLI, which plans with a resource's settings without building the resource
    (the Breeze source's would need its credentials)."""
    info = resource.model_fields[field]
    value = os.environ.get(variable)
    return check_variable(info, variable, value) if value else info.default


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
    "daily_reserve": "BREEZE_DAILY_RESERVE",
    "rate_margin_percent": "BREEZE_RATE_MARGIN_PERCENT",
    "refetch_empty_years": "BREEZE_REFETCH_EMPTY_YEARS",
}


# Which warehouse: the DuckDB file (default) or a DuckLake whose catalog lives on the Dagster
# instance's own PostgreSQL server (the same DAGSTER_PG_* variables; a schema of its own).
WAREHOUSE_SETTINGS = {
    "backend": "SENSEQUANT_WAREHOUSE_BACKEND",
    "lake_data_path": "SENSEQUANT_LAKE_DATA_PATH",
    "lake_catalog_schema": "SENSEQUANT_LAKE_SCHEMA",
    "lake_catalog_host": "DAGSTER_PG_HOST",
    "lake_catalog_port": "DAGSTER_PG_PORT",
    "lake_catalog_db": "DAGSTER_PG_DB",
    "lake_catalog_user": "DAGSTER_PG_USER",
    "lake_catalog_password": "DAGSTER_PG_PASSWORD",
}


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
    same object, so a changed setting marks their materializations unsynced. The machine's
    share (CatBoost threads, CPU or GPU) comes from the environment and changes speed only."""
    return TeacherSettings(
        thread_count=bound(TeacherSettings, "thread_count", "SENSEQUANT_TEACHER_THREADS"),
        task_type=bound(TeacherSettings, "task_type", "SENSEQUANT_TEACHER_DEVICE"),
    )


def alerts() -> AlertsResource:
    return AlertsResource(
        log_file=setting("SENSEQUANT_ALERTS_LOG", str(active_profile().alerts_log)),
        webhook_url=bound(AlertsResource, "webhook_url", "SENSEQUANT_ALERTS_WEBHOOK"),
    )


def warehouse() -> WarehouseResource:
    return WarehouseResource(
        database=setting("SENSEQUANT_WAREHOUSE", str(active_profile().warehouse)),
        **{
            field: bound(WarehouseResource, field, var) for field, var in WAREHOUSE_SETTINGS.items()
        },
    )


def intraday_settings() -> IntradaySettings:
    return IntradaySettings(
        interval=bound(IntradaySettings, "interval", "SENSEQUANT_INTRADAY_INTERVAL")
    )


def history() -> HistorySettings:
    """The first year, bound to the variable the partitions read (`first_year` refuses a bad
    value here, at load, naming the variable, before a run could meet it)."""
    first_year()
    return HistorySettings(first_year=bound(HistorySettings, "first_year", FIRST_YEAR_VARIABLE))


def project_paths() -> ProjectPaths:
    profile = active_profile()
    return ProjectPaths(
        profile=profile.name,
        constituents_dir=setting("SENSEQUANT_CONSTITUENTS_DIR", str(profile.constituents_dir)),
        reference_dir=bound(ProjectPaths, "reference_dir", "SENSEQUANT_REFERENCE_DIR"),
        reports_dir=setting("SENSEQUANT_REPORTS_DIR", str(profile.reports_dir)),
        models_dir=setting("SENSEQUANT_MODELS_DIR", str(profile.models_dir)),
        snapshots_dir=bound(ProjectPaths, "snapshots_dir", "SENSEQUANT_SNAPSHOTS_DIR"),
    )


def bar_source(kind: str | None = None) -> BarSource:
    """The source `SENSEQUANT_SOURCE` names (default: the profile's, synthetic for the demo)."""
    profile = active_profile()
    kind = (kind or os.environ.get("SENSEQUANT_SOURCE") or profile.source).strip().lower()
    if kind == "synthetic":
        return SyntheticSource(
            reference_dir=bound(SyntheticSource, "reference_dir", "SENSEQUANT_REFERENCE_DIR")
        )
    if kind == "csv":
        return LegacyCsvSource(root_dir=bound(LegacyCsvSource, "root_dir", "SENSEQUANT_LEGACY_DIR"))
    if kind == "breeze":
        return BreezeSource(
            api_key=dg.EnvVar("BREEZE_API_KEY"),
            api_secret=dg.EnvVar("BREEZE_API_SECRET"),
            session_token=setting("BREEZE_SESSION_TOKEN", ""),
            secrets_dir=setting("SENSEQUANT_CREDENTIALS_DIR", str(profile.secrets_dir)),
            cache_dir=setting("SENSEQUANT_CACHE_DIR", str(profile.cache_dir)),
            reference_dir=bound(BreezeSource, "reference_dir", "SENSEQUANT_REFERENCE_DIR"),
            **{field: bound(BreezeSource, field, var) for field, var in BREEZE_SETTINGS.items()},
        )
    raise ValueError(
        f"SENSEQUANT_SOURCE={kind!r} is not one of {', '.join(SOURCES)}; set it to one of them."
    )


@dg.definitions
def resources() -> dg.Definitions:
    if problem := instance_mismatch(active_profile()):
        raise ValueError(problem)
    return dg.Definitions(
        resources={
            "warehouse": warehouse(),
            "bar_source": bar_source(),
            "paths": project_paths(),
            "teacher": teacher_settings(),
            "alerts": alerts(),
            "intraday": intraday_settings(),
            "history": history(),
        }
    )
