"""Every path that deletes, fed hostile keys: nothing outside its root changes, nothing inside
it is lost.

Each delete path (model folders and their markers, snapshot staging files, Breeze cache entries'
staging files) is driven with keys an operator could type into the UI or a setting (`..`, `.`,
`/abs`, `a/../../b`, 300 characters, full-width look-alikes), twenty times each, over a tree that
holds models, lists, snapshots and cache entries; a byte-level listing of the whole tree is taken
before and after each attempt. A path may refuse the key (ValueError) or write a new entry inside
its own root (a snapshot or cache entry whose name is the key percent-encoded); it may never
remove or change an entry that was there, nor touch anything outside its root.
"""

import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sensequant_assets.sources.breeze.cache import AnswerCache
from sensequant_assets.teacher.model_files import discard, remove_unused, run_folders
from sensequant_assets.warehouse.snapshots import SnapshotPublishError, publish
from sensequant_assets.warehouse.tables import DAILY_BARS, TEACHER_LABELS, TEACHER_RUNS
from sensequant_assets_tests.faults.test_hostile_keys import listing

HOSTILE = [
    "..",
    ".",
    "/abs",
    "a/../../b",
    "../../..",
    "X" * 300,
    "ＡＡＡ",
    "ＡＡＡ/../..",
    "",
    "AAA/../../constituents",
]
REPEATS = 20
NOW = dt.datetime(2025, 6, 30, tzinfo=dt.UTC)


def tree(tmp_path: Path) -> tuple[Path, duckdb.DuckDBPyConnection]:
    """A deployment's files under tmp_path/tree, and an in-memory warehouse whose rows name the
    model on disk (in memory, so that the listing holds every file of the tree)."""
    root = tmp_path / "tree"
    model = root / "models" / "AAA" / "run-0" / "w00.cbm"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"model")
    (root / "constituents").mkdir()
    (root / "constituents" / "nifty.txt").write_text("AAA\n")
    cache = AnswerCache(root / "cache", "server")
    cache.store("AAA", 2024, "1day", {"Success": []}, NOW)
    conn = duckdb.connect(":memory:")
    for table in (TEACHER_RUNS, DAILY_BARS, TEACHER_LABELS):
        conn.execute(table.ddl())
    conn.execute(
        f"INSERT INTO {TEACHER_RUNS.name} (symbol, window_index, status, train_rows, eval_rows, "
        "model_path) VALUES ('AAA', 0, 'trained', 1, 1, ?)",
        [str(model)],
    )
    conn.execute(
        f"INSERT INTO {DAILY_BARS.name} (symbol, date, open, high, low, close, volume, source) "
        "VALUES ('AAA', DATE '2024-01-02', 1, 1, 1, 1, 1, 'test')"
    )
    publish(conn, root / "snapshots", DAILY_BARS, [()])
    return root, conn


def claim(models: Path, owner: str, run_id: str) -> None:
    with run_folders(models, [owner], run_id):
        pass


DELETE_PATHS: dict[str, tuple[str, Callable[[Path, duckdb.DuckDBPyConnection, str], object]]] = {
    "model clean-up (owner)": (
        "models",
        lambda root, conn, key: remove_unused(conn, root / "models", [key]),
    ),
    "model run folder (owner)": (
        "models",
        lambda root, conn, key: claim(root / "models", key, "run-1"),
    ),
    "model run folder (run id)": (
        "models",
        lambda root, conn, key: claim(root / "models", "AAA", key),
    ),
    "discarded run folder": (
        "models",
        lambda root, conn, key: discard(root / "models", "AAA", key),
    ),
    "snapshot of daily_bars": (
        "snapshots",
        lambda root, conn, key: publish(conn, root / "snapshots", DAILY_BARS, [(key, "2024")]),
    ),
    "snapshot of teacher_labels": (
        "snapshots",
        lambda root, conn, key: publish(conn, root / "snapshots", TEACHER_LABELS, [(key,)]),
    ),
    "cache entry (code)": (
        "cache",
        lambda root, conn, key: AnswerCache(root / "cache", "server").store(
            key, 2024, "1day", {"Success": []}, NOW
        ),
    ),
    "cache entry (interval)": (
        "cache",
        lambda root, conn, key: AnswerCache(root / "cache", "server").store_page(
            "AAA", key, pd.Timestamp(NOW), pd.Timestamp(NOW), {"Success": []}, NOW
        ),
    ),
}


@pytest.mark.parametrize("key", HOSTILE, ids=lambda key: repr(key)[:24])
@pytest.mark.parametrize("path", list(DELETE_PATHS))
def test_a_hostile_key_changes_nothing_outside_and_loses_nothing_inside(
    tmp_path: Path, path: str, key: str
) -> None:
    root, conn = tree(tmp_path)
    own_root, attempt = DELETE_PATHS[path]
    for _ in range(REPEATS):
        before = listing(tmp_path)
        # Refused, naming the key (or the OS refused a name over 255 bytes), or written inside.
        with contextlib.suppress(ValueError, OSError, SnapshotPublishError):
            attempt(root, conn, key)
        after = listing(tmp_path)
        lost = {name: value for name, value in before.items() if after.get(name) != value}
        assert not lost, f"{path} with {key!r} removed or changed {sorted(lost)}"
        added = set(after) - set(before)
        mine = f"tree/{own_root}"
        outside = [name for name in added if name != mine and not name.startswith(f"{mine}/")]
        assert not outside, f"{path} with {key!r} wrote outside its root: {outside}"
    assert (root / "models" / "AAA" / "run-0" / "w00.cbm").read_bytes() == b"model"
