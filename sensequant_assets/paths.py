"""Where the platform's files live: one resource, so every run reads the same deployment's paths.

Each folder defaults to the project's own `data/` and is overridden per deployment by an
environment variable (bound with `dg.EnvVar` in `defs/resources.py`, shown on the UI's resource
page). Assets, checks and sensors receive this resource; nothing reads the environment itself, so
tests build a `ProjectPaths` over a temporary folder instead of patching variables.
"""

import shutil
from pathlib import Path

import dagster as dg
from pydantic import Field

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
"""The checked-in reference files: `ProjectPaths.reference_dir`'s default, and the one folder a
source, a library call or a test reads when no deployment names another."""


class ProjectPaths(dg.ConfigurableResource):
    """Folders of constituent lists, reference files, coverage reports and teacher models."""

    profile: str = Field(
        default="demo",
        description="Which data these folders hold: `demo` (synthetic) or `live` (market data), "
        "each with its own instance, warehouse, cache and list folder (SENSEQUANT_PROFILE).",
    )
    constituents_dir: str = Field(
        default=str(DATA_DIR / "constituents"),
        description="Constituent lists (*.txt) the sensor and the coverage report read.",
    )
    reference_dir: str = Field(
        default=str(REFERENCE_DIR),
        description="Checked-in reference files: aliases.csv, listings.csv, sessions.csv, "
        "corporate_actions.csv.",
    )
    reports_dir: str = Field(
        default=str(DATA_DIR / "reports"), description="Coverage reports, one JSON per list."
    )
    models_dir: str = Field(
        default=str(DATA_DIR / "models"),
        description="Teacher models, <symbol>/<window>.cbm.",
    )
    snapshots_dir: str = Field(
        default="",
        description="Read-only Parquet snapshots of the warehouse tables, which notebooks read "
        "without ever blocking a run; empty: beside the warehouse file, <name>.snapshots/.",
    )

    @property
    def constituents(self) -> Path:
        return Path(self.constituents_dir)

    @property
    def reference(self) -> Path:
        return Path(self.reference_dir)

    @property
    def reports(self) -> Path:
        return Path(self.reports_dir)

    @property
    def models(self) -> Path:
        return Path(self.models_dir)

    def snapshots_for(self, database: str | None) -> Path | None:
        """Where the snapshots of the warehouse file `database` live. By default beside it, so
        that each warehouse (synthetic, live) has its own; none for a warehouse that is not a
        local file (None: a DuckLake; `:memory:`, or any `scheme:` location)."""
        if database is None or ":" in database:
            return None
        if self.snapshots_dir:
            return Path(self.snapshots_dir)
        return Path(database).with_suffix(".snapshots")

    @property
    def aliases_file(self) -> Path:
        return self.reference / "aliases.csv"

    @property
    def listings_file(self) -> Path:
        return self.reference / "listings.csv"


class PathOutsideRootError(ValueError):
    """A path built from input (a partition key, a file name, a catalog entry) that would lead
    outside the folder it belongs to. Raised before anything is read, written or deleted."""


def inside(root: Path, path: Path) -> Path:
    """`path` resolved, proven to lie strictly below `root` (resolved too, symlinks followed).

    Every delete goes through this, so a hostile partition key (`..`, `/abs`, `a/../../b`) or a
    symlink planted in a data folder can never reach a file the platform does not own."""
    resolved_root = Path(root).resolve()
    resolved = Path(path).resolve()
    if resolved == resolved_root or not resolved.is_relative_to(resolved_root):
        raise PathOutsideRootError(
            f"refusing to touch {path}: it resolves to {resolved}, which is not inside "
            f"{resolved_root}; nothing was changed"
        )
    return resolved


def remove_inside(root: Path, path: Path) -> bool:
    """Delete the file or folder `path` once it is proven to lie below `root`. A symlink is
    removed itself (its own folder must lie within `root`), never followed. False when there was
    nothing to remove."""
    target = Path(path)
    if target.is_symlink():
        folder = target.parent.resolve()
        if folder != Path(root).resolve():
            inside(root, folder)
        target.unlink()
        return True
    target = inside(root, target)
    if not target.exists():
        return False
    if target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink()
    return True
