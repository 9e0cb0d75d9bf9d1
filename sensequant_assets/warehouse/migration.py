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
) -> list[TableCopy]:
    """Copy every table of the DuckDB file `source` into `lake`; verified, idempotent."""
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
            for table in TABLES:
                copies.append(_copy(conn, table, source, lake.location, replace))
                say(copies[-1].describe())
        finally:
            conn.execute(f"DETACH {SOURCE}")
    return copies


def _copy(
    conn: duckdb.DuckDBPyConnection, table: Table, source: Path, lake: str, replace: bool
) -> TableCopy:
    columns = ", ".join(f'"{name}"' for name in table.column_names)
    present = conn.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND table_name = ?",
        [SOURCE, table.name],
    ).fetchall()
    if not present:  # a file from before the table existed: it holds none of its rows
        origin = f"(SELECT {columns} FROM {table.name} WHERE FALSE)"
    elif missing := sorted(set(table.column_names) - {name for (name,) in present}):
        raise MigrationError(
            f"{source}: table {table.name} lacks the columns {missing}; open it once with this "
            "version of the project (any run) so it is brought up to date, then migrate."
        )
    else:
        origin = f"{SOURCE}.main.{table.name}"
    wanted = _fingerprint(conn, origin, columns)
    held = _fingerprint(conn, table.name, columns)
    if held == wanted:
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
        if table.slices:
            keys = ", ".join(key.expression for key in table.slices)
            for values in conn.execute(f"SELECT DISTINCT {keys} FROM {origin}").fetchall():
                where, params = table.where(values)
                conn.execute(f"{insert} WHERE {where}", params)
        else:
            conn.execute(insert)
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
