"""Where model files live, so that the table and the files can always be paired.

Each run writes its models into a folder of its own (`<models>/<owner>/<run id>/`), the rows
that name those paths are committed after the files are complete, and only then are folders
removed. A crash at any point leaves the committed rows pointing at files that exist: before the
commit, at the previous run's folder (still there); after it, at the new one.

Two runs of one owner may overlap (a re-run during a backfill, two universe runs, a pool raised
on a DuckLake), so a run never removes "every folder but mine". It removes only the folders that
no committed row names and that no running run holds. A run holds its folder through a lock on a
marker beside it (`<run id>.running`, holding its run id and process), taken before the folder
exists and kept until the run has committed and cleaned up. The lock is the operating system's
(`flock`): a run that dies, even by SIGKILL, drops it at once, so the marker of a dead run expires
by itself and the next clean-up removes its folder. The clean-up first takes each candidate's
lock, and only then reads the committed rows, so a run that committed and let go is seen as
committed. Every removal is proven inside the models folder (`paths.remove_inside`).
"""

import datetime as dt
import fcntl
import json
import os
import re
import socket
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import duckdb

from sensequant_assets.paths import inside, remove_inside
from sensequant_assets.universe.constituents import symbol_problem
from sensequant_assets.warehouse.storage import among
from sensequant_assets.warehouse.tables import TEACHER_RUNS, TEACHER_UNIVERSE_RUNS

UNIVERSE_OWNER = "_universe"
"""The folder of the cross-sectional model (no symbol can be named so: symbols start A-Z0-9)."""
MARKER_SUFFIX = ".running"
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
"""A Dagster run id (a UUID), or a test's name for one: never a path."""


def owner_folder(models_root: Path, owner: str) -> Path:
    """`<models>/<owner>`, for a symbol or the universe model only, proven inside the models
    folder: an owner comes from a partition key, and a key like `..` must name no folder."""
    if owner != UNIVERSE_OWNER and (problem := symbol_problem(owner)):
        raise ValueError(
            f"model owner {owner!r}: {problem}; no model folder is read, written or removed for it"
        )
    return inside(models_root, Path(models_root) / owner)


def run_folder(models_root: Path, owner: str, run_id: str) -> Path:
    if not RUN_ID.fullmatch(run_id):
        raise ValueError(f"run id {run_id!r} cannot name a model folder")
    return inside(models_root, owner_folder(models_root, owner) / run_id)


def _marker(folder: Path) -> Path:
    return folder.with_name(folder.name + MARKER_SUFFIX)


def _locked(path: Path, blocking: bool) -> int | None:
    """An open descriptor of `path` holding its exclusive lock, or None where another holder
    has it (non-blocking) or the file is gone."""
    try:
        fd = os.open(path, os.O_RDWR | (os.O_CREAT if blocking else 0), 0o644)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    try:
        if os.stat(path).st_ino == os.fstat(fd).st_ino:
            return fd
    except FileNotFoundError:
        pass
    os.close(fd)  # a clean-up removed the marker while we waited: it was not ours to lock
    return None


@contextmanager
def _claim(models_root: Path, owner: str, run_id: str) -> Iterator[Path]:
    folder = run_folder(models_root, owner, run_id)
    marker = _marker(folder)
    fd = None
    while fd is None:
        folder.parent.mkdir(parents=True, exist_ok=True)  # a clean-up may remove it meanwhile
        fd = _locked(marker, blocking=True)
    try:
        record = {"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname()}
        record["since"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(record).encode())
        folder.mkdir(exist_ok=True)
        yield folder
    finally:
        remove_inside(models_root, marker)
        os.close(fd)


@contextmanager
def run_folders(models_root: Path, owners: Iterable[str], run_id: str) -> Iterator[dict[str, Path]]:
    """This run's folder of each owner, held as in progress until the block ends: no other
    run's clean-up removes it meanwhile. Exits (failure included) let go of it; an uncommitted
    folder is then removed by the next clean-up of its owner."""
    with ExitStack() as held:
        yield {owner: held.enter_context(_claim(models_root, owner, run_id)) for owner in owners}


def discard(models_root: Path, owner: str, run_id: str) -> None:
    """Remove a run's own folder (a failed run's models) before anything names it: a run
    folder only, never its owner's folder or anything above."""
    remove_inside(models_root, run_folder(models_root, owner, run_id))


def committed_runs(conn: duckdb.DuckDBPyConnection, owners: Iterable[str]) -> set[tuple[str, str]]:
    """(owner, run id) of every model folder a committed row of `teacher_runs` or
    `teacher_universe_runs` names, for `owners`."""
    owners = list(owners)
    symbols = [owner for owner in owners if owner != UNIVERSE_OWNER]
    paths: list[tuple[str, str]] = []
    if symbols:
        where, params = among("symbol", symbols)
        paths += conn.execute(
            f"SELECT symbol, model_path FROM {TEACHER_RUNS.name} "
            f"WHERE model_path IS NOT NULL AND {where}",
            params,
        ).fetchall()
    if UNIVERSE_OWNER in owners:
        paths += [
            (UNIVERSE_OWNER, path)
            for (path,) in conn.execute(
                f"SELECT model_path FROM {TEACHER_UNIVERSE_RUNS.name} WHERE model_path IS NOT NULL"
            ).fetchall()
        ]
    return {(owner, Path(path).parent.name) for owner, path in paths}


def remove_unused(
    conn: duckdb.DuckDBPyConnection, models_root: Path, owners: Iterable[str]
) -> list[Path]:
    """After a run committed its rows (on the connection it committed them with): remove each
    owner's run folders that no committed row names and no running run holds, the markers of
    dead runs, and an owner's folder left empty. Returns what was removed."""
    owners = list(owners)
    removed: list[Path] = []
    with ExitStack() as held:
        free: list[tuple[str, Path]] = []  # folders no live run holds, their locks held here
        for owner in owners:
            owner_dir = owner_folder(models_root, owner)
            for child in sorted(owner_dir.iterdir()) if owner_dir.is_dir() else []:
                if child.name.endswith(MARKER_SUFFIX):
                    continue
                marker = _marker(child)
                fd = _locked(marker, blocking=False)
                if fd is not None:
                    held.callback(os.close, fd)
                    held.callback(remove_inside, models_root, marker)  # before its fd closes
                    free.append((owner, child))
                elif not marker.exists():
                    free.append((owner, child))
        named = committed_runs(conn, owners)  # after the locks: a run that let go has committed
        for owner, child in free:
            if (owner, child.name) not in named and remove_inside(models_root, child):
                removed.append(child)
    for owner in owners:
        owner_dir = owner_folder(models_root, owner)
        for marker in owner_dir.glob(f"*{MARKER_SUFFIX}") if owner_dir.is_dir() else []:
            folder = marker.with_name(marker.name.removesuffix(MARKER_SUFFIX))
            if not folder.exists() and (fd := _locked(marker, blocking=False)) is not None:
                remove_inside(models_root, marker)  # a dead run's, without its folder
                os.close(fd)
        # Proven inside by owner_folder; removed only when empty, so a run that took its marker
        # meanwhile keeps it (and one about to make the folder makes it again).
        with suppress(OSError):
            owner_dir.rmdir()
    return removed
