"""Copying an existing DuckDB warehouse file into a DuckLake: every table, verified, idempotent.

Each table is copied in one lake transaction and checked inside it, before COMMIT, by row count
and an order-free checksum (the sum of every row's hash, computed by the same DuckDB over both
sides), so a table is in the lake whole and equal to the file's, or not at all. Running it again
finds equal tables and copies nothing; a lake table that already holds other rows is left
alone unless the caller asks to replace it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import transaction
from sensequant_assets.warehouse.tables import TABLES, Table

SOURCE = "migration_source"


class MigrationError(RuntimeError):
    """The file cannot be copied into the lake as asked; nothing of the table named was."""


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int
    checksum: str
    copied: bool
    """False where the lake already held exactly these rows."""

    def describe(self) -> str:
        done = "copied" if self.copied else "already in the lake"
        return f"{self.table}: {self.rows} rows {done}, checksum {self.checksum} on both sides"


def migrate(
    source: Path,
    lake: WarehouseResource,
    replace: bool = False,
    say: Callable[[str], None] = print,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> list[TableCopy]:
    """Copy every table of the DuckDB file `source` into `lake`; verified, idempotent.

    `progress(done, total)` follows the copy slice by slice (a table without slices counts
    one), all tables' slices counted before the first is copied, so a caller can estimate the
    time left of a copy that takes hours."""
    if not lake.is_lake:
        raise MigrationError(
            f"The configured warehouse is the DuckDB file {lake.database}, not a DuckLake: set "
            "SENSEQUANT_WAREHOUSE_BACKEND=ducklake (and DAGSTER_PG_*, SENSEQUANT_LAKE_DATA_PATH) "
            "to name the lake to copy into."
        )
    if not source.is_file():
        raise MigrationError(f"{source} is not a file: name the DuckDB warehouse to copy.")
    copies = []
    with lake.get_connection() as conn:
        try:
            conn.execute(f"ATTACH '{_escaped(source)}' AS {SOURCE} (READ_ONLY)")
        except duckdb.Error as exc:
            raise MigrationError(
                f"Cannot open {source} read-only: {exc}. Stop what holds it (the Dagster UI or "
                "runs on that file, a notebook) and run the migration again."
            ) from exc
        try:
            origins = {table.name: _origin(conn, table, source) for table in TABLES}
            plans = [(table, _slices(conn, table, origins[table.name])) for table in TABLES]
            total, done = sum(len(slices) for _, slices in plans), 0

            def advance(copied: int) -> None:
                nonlocal done
                done += copied
                progress(done, total)

            progress(0, total)
            for table, slices in plans:
                origin = origins[table.name]
                copies.append(
                    _copy(conn, table, origin, slices, source, lake.location, replace, advance)
                )
                say(copies[-1].describe())
        finally:
            conn.execute(f"DETACH {SOURCE}")
    return copies


def _origin(conn: duckdb.DuckDBPyConnection, table: Table, source: Path) -> str:
    """What to select `table`'s rows from in the attached file (no rows where it predates the
    table), or MigrationError where its columns are out of date."""
    columns = ", ".join(f'"{name}"' for name in table.column_names)
    present = conn.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND table_name = ?",
        [SOURCE, table.name],
    ).fetchall()
    if not present:  # a file from before the table existed: it holds none of its rows
        return f"(SELECT {columns} FROM {table.name} WHERE FALSE)"
    if missing := sorted(set(table.column_names) - {name for (name,) in present}):
        raise MigrationError(
            f"{source}: table {table.name} lacks the columns {missing}; open it once with this "
            "version of the project (any run) so it is brought up to date, then migrate."
        )
    return f"{SOURCE}.main.{table.name}"


def _slices(conn: duckdb.DuckDBPyConnection, table: Table, origin: str) -> list[tuple]:
    """The slice values of `table` in the file, each copied by one INSERT; one empty slice
    (the whole table) for a table without slices."""
    if table.slices:
        keys = ", ".join(key.expression for key in table.slices)
        return conn.execute(f"SELECT DISTINCT {keys} FROM {origin}").fetchall()
    return [()]


def _copy(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    origin: str,
    slices: list[tuple],
    source: Path,
    lake: str,
    replace: bool,
    advance: Callable[[int], None],
) -> TableCopy:
    columns = ", ".join(f'"{name}"' for name in table.column_names)
    wanted = _fingerprint(conn, origin, columns)
    held = _fingerprint(conn, table.name, columns)
    if held == wanted:
        advance(len(slices))
        return TableCopy(table.name, wanted[0], wanted[1], copied=False)
    if held[0] and not replace:
        raise MigrationError(
            f"The lake {lake} already holds {held[0]} {table.name} rows that differ from the "
            f"{wanted[0]} in {source}; nothing of that table was copied. Run the migration with "
            "--replace to replace the lake's rows with the file's."
        )
    with transaction(conn, writes=[(table.name,)]):  # no run writes the table meanwhile
        conn.execute(f"DELETE FROM {table.name}")
        # Slice by slice, as the assets write (`Table.slices`): every slice gets data files of
        # its own, as their writes leave it; one INSERT per table would put every partition in
        # shared files, and later writers of different partitions would then conflict on them.
        insert = f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {origin}"
        for values in slices:
            if values:
                where, params = table.where(values)
                conn.execute(f"{insert} WHERE {where}", params)
            else:
                conn.execute(insert)
            advance(1)
        copied = _fingerprint(conn, table.name, columns)
        if copied != wanted:  # raising here rolls the table back
            raise MigrationError(
                f"{table.name}: the lake holds {copied[0]} rows (checksum {copied[1]}) after the "
                f"copy where {source} holds {wanted[0]} (checksum {wanted[1]}); nothing of that "
                "table was stored."
            )
    return TableCopy(table.name, wanted[0], wanted[1], copied=True)


def _fingerprint(conn: duckdb.DuckDBPyConnection, origin: str, columns: str) -> tuple[int, str]:
    rows, checksum = conn.execute(
        f"SELECT count(*), coalesce(sum(hash({columns})), 0) FROM {origin}"
    ).fetchone()
    return int(rows), str(checksum)


def _escaped(path: Path) -> str:
    return str(path.absolute()).replace("'", "''")
