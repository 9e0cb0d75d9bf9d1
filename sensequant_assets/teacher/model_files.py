"""Where model files live, so that the table and the files can always be paired.

Each run writes its models into a folder of its own (`<models>/<owner>/<run id>/`), the rows
that name those paths are committed after the files are complete, and only then are the owner's
older run folders removed. A crash at any point leaves the committed rows pointing at files that
exist: before the commit, at the previous run's folder (still there); after it, at the new one.
"""

import shutil
from pathlib import Path

UNIVERSE_OWNER = "_universe"
"""The folder of the cross-sectional model (no symbol can be named so: symbols start A-Z0-9)."""


def run_folder(models_root: Path, owner: str, run_id: str) -> Path:
    return models_root / owner / run_id


def discard(folder: Path) -> None:
    """Remove a run's folder (a failed run's models, or an owner's whole history)."""
    if folder.exists():
        shutil.rmtree(folder)


def keep_only(models_root: Path, owner: str, run_id: str | None) -> None:
    """After the rows naming `run_id`'s files are committed: drop every other run of `owner`
    (all of them when `run_id` is None, for an owner that no longer has a model)."""
    owner_dir = models_root / owner
    if not owner_dir.exists():
        return
    for child in owner_dir.iterdir():
        if child.name != run_id:
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    if run_id is None:
        owner_dir.rmdir()
