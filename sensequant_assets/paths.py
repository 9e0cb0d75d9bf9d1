"""Where the project's files live by default.

Every path can be overridden by an environment variable so that tests, CI and a user's second
checkout never share a warehouse or a cache by accident.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("SENSEQUANT_DATA_DIR", REPO_ROOT / "data"))


def warehouse_path() -> Path:
    return Path(os.environ.get("SENSEQUANT_WAREHOUSE", data_dir() / "warehouse.duckdb"))


def constituents_dir() -> Path:
    return Path(os.environ.get("SENSEQUANT_CONSTITUENTS_DIR", data_dir() / "constituents"))


def reference_dir() -> Path:
    return Path(os.environ.get("SENSEQUANT_REFERENCE_DIR", data_dir() / "reference"))


def models_dir() -> Path:
    return Path(os.environ.get("SENSEQUANT_MODELS_DIR", data_dir() / "models"))


def reports_dir() -> Path:
    return Path(os.environ.get("SENSEQUANT_REPORTS_DIR", data_dir() / "reports"))


def cache_dir() -> Path:
    return Path(os.environ.get("SENSEQUANT_CACHE_DIR", data_dir() / "cache"))
