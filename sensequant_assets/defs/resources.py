"""The deployment's resources: which source, which warehouse, which folders, which settings.

Every environment-dependent choice is made here, once, from environment variables: a variable
that is set is bound with `dg.EnvVar` (the UI's resource page shows its name, never a secret's
value); one that is not falls back to the project's own `data/` folder. Assets, checks and
sensors only ever see the resources.
"""

import os

import dagster as dg

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
            "teacher": TeacherSettings(),
        }
    )
