"""Read-only Parquet snapshots of the warehouse: the read path that never blocks a writer.

DuckDB lets no other process open the file while one writes, and a process holding it, even
read-only, makes every warehouse step wait and then fail (docs/reliability.md). So each step that
replaces rows also publishes what it replaced as Parquet files, from the connection it already
holds (it never needs the lock a second time) and after its transaction committed (a snapshot
never shows rows the warehouse rolled back). Readers open those files, never the warehouse.

Each file is written beside its final path and `os.replace`d onto it, so a reader sees a slice's
previous rows or its new ones, never a mix; different slices of one run may be seen one old, one
new, as if read between two runs. A slice whose rows were deleted is replaced by an empty file
rather than removed, so a reader that listed the files an instant earlier still opens it. Large
tables are cut by the keys their writes replace rows by (`Table.slices`) into Hive folders
(`daily_bars/symbol=INFY/year=2024/rows.parquet`), small ones are one file each. A publish that
fails leaves the warehouse as committed, logs an error, and leaves a marker that
`connect_snapshots` warns about until `sensequant snapshots publish` rebuilds the table.
"""

import glob
import logging
import os
import uuid
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from urllib.parse import quote, unquote

import duckdb

from sensequant_assets.paths import remove_inside
from sensequant_assets.warehouse.tables import TABLES, Key, Table

FILE_NAME = "rows.parquet"
STALE_MARKER = "STALE.txt"
REPUBLISH = "sensequant snapshots publish"

Slice = tuple[object, ...]
"""Key values, outermost first; fewer than the table has keys means every slice below them."""
Whole = tuple[str, ...]
"""One file's key values, as its folder names spell them."""


class SnapshotPublishError(RuntimeError):
    """A snapshot could not be written; the warehouse rows it would mirror are committed."""


class StaleSnapshotWarning(UserWarning):
    """A table's snapshot missed a publish and may lag the warehouse."""


class MissingSnapshotWarning(UserWarning):
    """A table has no snapshot file at all: it reads as empty whatever the warehouse holds."""


def folder(root: Path, table: Table, values: Whole = ()) -> Path:
    """The table's folder, or the one below it that holds the slices under `values`."""
    keys = table.folder_keys[: len(values)]
    parts = [f"{key.name}={_path_value(key, v)}" for key, v in zip(keys, values, strict=True)]
    return root.joinpath(table.name, *parts)


def _file(root: Path, table: Table, values: Whole) -> Path:
    return folder(root, table, values) / FILE_NAME


def _pattern(root: Path, table: Table) -> str:
    return str(folder(root, table).joinpath(*(["*"] * len(table.folder_keys)), "*.parquet"))


def _path_value(key: Key, value: object) -> str:
    """The value as a Hive folder name spells it: percent-encoded as DuckDB writes and decodes
    them (`M&M` is `symbol=M%26M`), so any value reads back as itself."""
    text = str(value)
    if not text or text.startswith("."):
        raise SnapshotPublishError(
            f"{key.name}={text!r} cannot name a snapshot folder (empty, or hidden by a leading "
            "'.'); this key should never have reached the warehouse."
        )
    return quote(text, safe="")


def publish(
    conn: duckdb.DuckDBPyConnection, root: Path, table: Table, slices: Iterable[Slice]
) -> int:
    """Write `slices` of `table` (each expanded to every stored or published slice below it) as
    they are in the warehouse now; returns the number of files written. Call after COMMIT."""
    return _write_all(conn, root, table, sorted(_expand(conn, root, table, slices)))


def _write_all(
    conn: duckdb.DuckDBPyConnection,
    root: Path,
    table: Table,
    wholes: list[Whole],
    written: Callable[[], None] = lambda: None,
) -> int:
    """Write each of `wholes` (whole slices of `table`), calling `written` after each file;
    returns how many were written."""
    for values in wholes:
        _write(conn, table, values, _file(root, table, values))
        written()
    return len(wholes)


def _expand(
    conn: duckdb.DuckDBPyConnection, root: Path, table: Table, slices: Iterable[Slice]
) -> set[Whole]:
    """Whole slices: stored ones (new or replaced) and published ones (maybe deleted since)."""
    full: set[Whole] = set()
    depth = len(table.folder_keys)
    for given in slices:
        keys = zip(table.folder_keys, given, strict=False)
        prefix = tuple(key.text(value) for key, value in keys)
        if len(prefix) == depth:
            full.add(prefix)
            continue
        names = ", ".join(key.expression for key in table.folder_keys)
        where, params = table.where(prefix)
        rows = conn.execute(
            f"SELECT DISTINCT {names} FROM {table.name} WHERE {where}", params
        ).fetchall()
        full.update(tuple(str(value) for value in row) for row in rows)
        below = folder(root, table, prefix)
        for file in below.glob("/".join(["*"] * (depth - len(prefix)) + [FILE_NAME])):
            folders = file.relative_to(below).parts[:-1]
            published = [unquote(part.split("=", 1)[1]) for part in folders]
            full.add((*prefix, *published))
    return full


def _write(conn: duckdb.DuckDBPyConnection, table: Table, values: Whole, path: Path) -> None:
    """The slice's rows, in table order, into a file beside `path`, then renamed onto it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    columns = ", ".join(f'"{name}"' for name in table.column_names)
    where, params = table.where(values)
    select = f"SELECT {columns} FROM {table.name} WHERE {where}"
    order = ", ".join(table.primary_key)
    if order:
        select += f" ORDER BY {order}"
    try:
        conn.execute(f"COPY ({select}) TO '{_quoted(staging)}' (FORMAT parquet)", params)
        os.replace(staging, path)
    finally:
        remove_inside(path.parent, staging)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def publish_committed(
    conn: duckdb.DuckDBPyConnection,
    root: Path | None,
    changes: Mapping[Table, Collection[Slice]],
    log: logging.Logger,
) -> None:
    """Publish what a step just committed; a failure is logged and marked, never raised.

    The rows are in the warehouse by now, so failing the step would show committed partitions
    as failed and re-run them for nothing. The error goes to the step's log and a marker beside
    the table's files makes every reader warn until `sensequant snapshots publish` repairs it.
    """
    if root is None:
        return
    for table, slices in changes.items():
        try:
            publish(conn, root, table, slices)
        except (OSError, duckdb.Error, SnapshotPublishError) as exc:
            reason = (
                f"the snapshot of {table.name} under {root} could not be published ({exc}); "
                "the warehouse rows are committed and intact, but readers of the snapshot may "
                f"see older rows until `{REPUBLISH}` runs"
            )
            log.error(reason)
            _mark_stale(folder(root, table), reason, log)


def _mark_stale(folder: Path, reason: str, log: logging.Logger) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / STALE_MARKER).write_text(reason + "\n", encoding="utf-8")
    except OSError as exc:
        log.error(f"could not mark {folder} stale either ({exc})")


def publish_all(
    conn: duckdb.DuckDBPyConnection,
    root: Path,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> dict[str, int]:
    """Every table, whole, as the warehouse holds it; clears stale markers. Files per table.

    For a warehouse written before snapshots existed, or after a failed publish. Run it with the
    warehouse to itself (it holds the writer connection like any step). `progress(done, total)`
    follows it file by file, every table's files counted before the first is written."""
    plans = [(table, sorted(_expand(conn, root, table, [()]))) for table in TABLES]
    total, done = sum(len(wholes) for _, wholes in plans), 0

    def written() -> None:
        nonlocal done
        done += 1
        progress(done, total)

    progress(0, total)
    files: dict[str, int] = {}
    for table, wholes in plans:
        files[table.name] = _write_all(conn, root, table, wholes, written)
        remove_inside(root, folder(root, table) / STALE_MARKER)
    return files


def connect_snapshots(root: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per warehouse table over its snapshot.

    Views re-list the files at every query, so a long-lived connection (a notebook) follows the
    platform's runs; the warehouse file is never opened. A table without any file yet is an
    empty table of the warehouse's columns (connect again once it has been published), named in
    a `MissingSnapshotWarning`, so a notebook never takes 0 rows for the warehouse's answer.
    Tables whose last publish failed when connecting are named in a `StaleSnapshotWarning`.
    """
    root = Path(root).absolute()  # views resolve it at each query, whatever the cwd is by then
    if not root.is_dir():
        raise FileNotFoundError(
            f"No warehouse snapshots at {root}. They are published by every run that writes the "
            f"warehouse; for a warehouse written before, run `{REPUBLISH}` once, or pass the "
            "folder SENSEQUANT_SNAPSHOTS_DIR names (default: <warehouse file>.snapshots)."
        )
    conn = duckdb.connect(":memory:")
    stale = []
    missing = []
    for table in TABLES:
        if (marker := folder(root, table) / STALE_MARKER).exists():
            stale.append(marker.read_text(encoding="utf-8").strip())
        if not glob.glob(_pattern(root, table)):
            conn.execute(table.ddl())
            missing.append(table.name)
            continue
        columns = ", ".join(f'"{name}"' for name in table.column_names)
        types = ", ".join(f"'{key.name}': {key.sql_type}" for key in table.folder_keys)
        hive = f", hive_partitioning = true, hive_types = {{{types}}}" if table.folder_keys else ""
        conn.execute(
            f"CREATE VIEW {table.name} AS SELECT {columns} FROM "
            f"read_parquet('{_quoted(Path(_pattern(root, table)))}'{hive})"
        )
    if stale:
        warnings.warn(" | ".join(stale), StaleSnapshotWarning, stacklevel=2)
    if missing:
        warnings.warn(
            f"No snapshot of {', '.join(missing)} under {root}: each reads as an empty table. "
            "Nothing has published them yet; if the warehouse holds rows of them, run "
            f"`{REPUBLISH}` once (with the warehouse to itself).",
            MissingSnapshotWarning,
            stacklevel=2,
        )
    return conn
