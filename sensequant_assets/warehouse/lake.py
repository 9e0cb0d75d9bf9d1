"""DuckLake: the warehouse as a catalog in PostgreSQL plus Parquet files under a data path.

A DuckDB file admits one writing process; a DuckLake admits many. Each transaction writes new
Parquet files and commits their names to the catalog in one PostgreSQL transaction, so a killed
writer leaves files nobody references and never a half-replaced partition. Two transactions
conflict only when both delete rows from the same data file; the assets write each partition
with its own INSERT, hence into files of its own, so writers of different partitions meet only
after something merged their files (a compaction, or a migration that copied a table in one
go). Such a commit fails with `WarehouseConflictError` and `conflict_retries` runs it again.

The `ducklake` and `postgres` extensions come from the duckdb-ext-ducklake and
duckdb-ext-postgres packages (built for DuckDB 1.4.4 only), never from the network.
"""

import contextlib
import datetime as dt
import importlib.metadata
import os
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import duckdb

from sensequant_assets.secrets import libpq_quote as _libpq_quote
from sensequant_assets.secrets import scrub
from sensequant_assets.secrets import sql_quote as _sql_quote
from sensequant_assets.warehouse.tables import WAREHOUSE_BINDING

# Extension name -> the PyPI package that ships it.
EXTENSION_PACKAGES = {"postgres_scanner": "duckdb-ext-postgres", "ducklake": "duckdb-ext-ducklake"}

# The name the lake is attached under; every connection USEs it, so queries name bare tables.
LAKE = "lake"

# A fresh lake's first ATTACH creates the catalog's schema and tables; processes doing it at
# the same instant collide on PostgreSQL's unique indexes (3 of 4 in a probe here), and the
# losers find a finished catalog a moment later.
ATTACH_ATTEMPTS = 8


# A libpq keyword value as `attach_sql` quotes it (backslash escapes), inside DuckDB's messages.
_DSN_PASSWORD = re.compile(r"password='(?:[^'\\]|\\.)*'")


class LakeUnavailableError(RuntimeError):
    """The lake cannot be opened: an extension is missing, or the catalog is unreachable."""


class WarehouseConflictError(RuntimeError):
    """Another transaction deleted from the same DuckLake data file first; nothing was stored."""


def extension_file(name: str, platform: str) -> Path:
    """The installed extension's file for this DuckDB version and platform."""
    package = EXTENSION_PACKAGES[name]
    wanted = f"duckdb_ext/extensions/v{duckdb.__version__}/{platform}/{name}.duckdb_extension"
    try:
        path = Path(str(importlib.metadata.distribution(package).locate_file(wanted)))
    except importlib.metadata.PackageNotFoundError:
        raise LakeUnavailableError(
            f"The DuckLake warehouse needs the DuckDB extension {name!r}, shipped by the PyPI "
            f"package {package}, which is not installed. Install the project's pinned "
            f"dependencies (`make` or `pip install -e .`); extensions are never downloaded at "
            "run time."
        ) from None
    if not path.is_file():
        raise LakeUnavailableError(
            f"The package {package} is installed but holds no {name!r} extension for DuckDB "
            f"{duckdb.__version__} on {platform} (looked for {path}). Install the {package} "
            f"release built for DuckDB {duckdb.__version__}, or the DuckDB version it was "
            "built for."
        )
    return path


def load_extensions(conn: duckdb.DuckDBPyConnection) -> None:
    platform = conn.execute("PRAGMA platform").fetchone()[0]
    for name in EXTENSION_PACKAGES:
        conn.execute(f"LOAD '{extension_file(name, platform)}'")


@dataclass(frozen=True)
class LakeCatalog:
    """Where a lake lives: its catalog (a schema in a PostgreSQL database) and its data files."""

    host: str
    port: int
    database: str
    user: str
    password: str = field(repr=False)
    schema: str
    data_path: str

    def describe(self) -> str:
        """The lake as messages name it; never the password."""
        return (
            f"DuckLake {self.schema} (catalog in PostgreSQL {self.user}@{self.host}:{self.port}/"
            f"{self.database}, data files in {self.data_path})"
        )

    def attach_sql(self) -> str:
        keywords = {
            "dbname": self.database,
            "host": self.host,
            "port": str(self.port),
            "user": self.user,
        }
        if self.password:
            keywords["password"] = self.password
        dsn = " ".join(f"{key}={_libpq_quote(value)}" for key, value in keywords.items())
        data_path = str(Path(self.data_path).absolute()) + "/"
        return (
            f"ATTACH {_sql_quote('ducklake:postgres:' + dsn)} AS {LAKE} "
            f"(DATA_PATH {_sql_quote(data_path)}, METADATA_SCHEMA {_sql_quote(self.schema)})"
        )

    def scrub(self, text: str) -> str:
        """`text` without the password in any form (raw, libpq-escaped, SQL-quoted, ...), and
        without whatever a connection string quotes as `password='...'`, however short."""
        return _DSN_PASSWORD.sub("password='***'", scrub(text, [self.password]))


def attach(conn: duckdb.DuckDBPyConnection, catalog: LakeCatalog) -> None:
    """Load the extensions, attach the lake (creating it on first use) and USE it."""
    load_extensions(conn)
    Path(catalog.data_path).mkdir(parents=True, exist_ok=True)
    delay = 0.05
    for attempt in range(ATTACH_ATTEMPTS):
        try:
            conn.execute(catalog.attach_sql())
            break
        except duckdb.Error as exc:
            failure = catalog.scrub(str(exc)).strip()
        racing = "Failed to initialize DuckLake" in failure and "already exists" in failure
        if not racing or attempt == ATTACH_ATTEMPTS - 1:
            # Raised outside the `except`: DuckDB's own exception, which may quote the
            # connection string with its password, must not travel along as the context.
            raise LakeUnavailableError(
                f"Cannot open the warehouse {catalog.describe()}: {failure}. Check that "
                "PostgreSQL runs there (`make postgres-start` on a development machine) and "
                "that DAGSTER_PG_HOST, DAGSTER_PG_PORT, DAGSTER_PG_DB, DAGSTER_PG_USER and "
                "DAGSTER_PG_PASSWORD name it."
            )
        time.sleep(delay * (1 + random.random()))
        delay *= 2
    conn.execute(f"USE {LAKE}")


# One DuckDB instance per process and lake, with the extensions loaded, the lake attached and
# its tables created: loading the two 50 MB extensions and attaching cost 1-2 s here, which
# every connection would pay again (a run opens the warehouse several times). Connections are
# cursors on it, each with its own transactions. A process normally opens one lake; the few
# most recent are kept (each holds PostgreSQL connections), the oldest closed.
_ATTACHED: OrderedDict[tuple[int, str], duckdb.DuckDBPyConnection] = OrderedDict()
_KEPT = 4
_ATTACHING = threading.Lock()


def connect(
    catalog: LakeCatalog, ddl: Sequence[str], config: Mapping[str, object]
) -> duckdb.DuckDBPyConnection:
    """A new connection to the lake, attached once per process (again after PostgreSQL
    restarted: the first query on a dropped catalog connection fails, the next reconnects)."""
    key = (os.getpid(), catalog.attach_sql())
    with _ATTACHING:
        attached = _ATTACHED.get(key)
        if attached is not None:
            _ATTACHED.move_to_end(key)
            conn = _cursor(attached)
            try:
                conn.execute(f"SELECT count(*) FROM {WAREHOUSE_BINDING.name}").fetchall()
                return conn
            except duckdb.Error:
                conn.close()
                attached.close()
                del _ATTACHED[key]
        attached = duckdb.connect(
            ":memory:",
            config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                **config,
            },
        )
        try:
            attach(attached, catalog)
            create_tables(attached, ddl)
        except BaseException:
            attached.close()
            raise
        _ATTACHED[key] = attached
        while len(_ATTACHED) > _KEPT:
            _ATTACHED.popitem(last=False)[1].close()
        return _cursor(attached)


def _cursor(attached: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    conn = attached.cursor()
    conn.execute(f"USE {LAKE}")
    conn.execute("SET enable_progress_bar = false")  # it would print on a run's stdout
    return conn


def create_tables(conn: duckdb.DuckDBPyConnection, ddl: Sequence[str]) -> None:
    """Run `CREATE TABLE IF NOT EXISTS` statements in one transaction, again if it conflicted.

    Processes creating the tables of a fresh lake at the same instant fail at COMMIT with
    "Transaction conflict - attempting to create table ..." or, from DuckLake 0.3's own conflict
    check, "Failed to parse catalog entry - trailing data after quoted value" (each in 4-process
    probes here). A retry finds the winner's tables and creates nothing.
    """
    delay = 0.05
    for attempt in range(ATTACH_ATTEMPTS):
        try:
            conn.execute("BEGIN TRANSACTION")
            for statement in ddl:
                conn.execute(statement)
            conn.execute("COMMIT")
            return
        except duckdb.TransactionException:
            if attempt == ATTACH_ATTEMPTS - 1:
                raise
            with contextlib.suppress(duckdb.TransactionException):  # a failed COMMIT ended it
                conn.execute("ROLLBACK")
        time.sleep(delay * (1 + random.random()))
        delay *= 2


def is_commit_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.TransactionException) and "Transaction conflict" in str(exc)


def conflict_error(exc: duckdb.Error) -> WarehouseConflictError:
    detail = str(exc).splitlines()[-1]
    return WarehouseConflictError(
        f"Another writer committed first to the same DuckLake data files ({detail}). Nothing "
        "from this step was stored; the previous rows are intact. Writers of different "
        "partitions meet only after their rows were merged into shared files (a compaction, a "
        "migration); re-run the step."
    )


class ConflictAttempt:
    """One try of a write transaction; swallows a commit conflict unless it is the last try."""

    def __init__(self, last: bool) -> None:
        self.last = last
        self.conflict: WarehouseConflictError | None = None

    def __enter__(self) -> "ConflictAttempt":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if isinstance(exc, WarehouseConflictError) and not self.last:
            self.conflict = exc
            return True
        return False


def conflict_retries(
    attempts: int = 5, first_wait_seconds: float = 0.2
) -> Iterator[ConflictAttempt]:
    """Run a whole write transaction again when its commit conflicted, reading afresh each time:

        for attempt in conflict_retries():
            with attempt, warehouse.get_connection() as conn, transaction(conn):
                ...  # read what the write depends on, then write

    Waits grow (with jitter, so two retrying writers drift apart); the last conflict is raised.
    On a DuckDB file there are no such conflicts and the body runs once.
    """
    for number in range(attempts):
        attempt = ConflictAttempt(last=number == attempts - 1)
        yield attempt
        if attempt.conflict is None:
            return
        time.sleep(first_wait_seconds * 2**number * (1 + random.random()))


# A data file that no snapshot references may belong to a writer that has not committed yet;
# one younger than this is left alone. Run monitoring ends a run after an hour (dagster.yaml), so
# a day is far past the longest writer, and past any reader still on a just-expired snapshot.
FILE_GRACE = dt.timedelta(days=1)


@dataclass(frozen=True)
class Reclaimed:
    """What one clean-up of the lake removed."""

    snapshots_expired: int
    replaced_files_deleted: int
    orphaned_files_deleted: int


def reclaim(
    conn: duckdb.DuckDBPyConnection, keep_snapshots: dt.timedelta, grace: dt.timedelta = FILE_GRACE
) -> Reclaimed:
    """Expire the snapshots older than `keep_snapshots` (the window a reader can travel back in),
    then delete the data files only expired snapshots referenced and those killed writers left,
    once they are older than `grace`.

    Every replace-by-partition keeps the replaced file for time travel, so a lake refreshed
    nightly grows without end unless this runs. Files are not merged: a compaction would put
    several partitions in one file, and their writers would then conflict (module docstring).
    """

    def call(procedure: str, age: dt.timedelta) -> int:
        """How many snapshots or files `procedure` removed that are older than `age`."""
        cutoff = f"now() - to_microseconds({int(age.total_seconds() * 1e6)})"
        try:
            return len(
                conn.execute(f"CALL {procedure}('{LAKE}', older_than => {cutoff})").fetchall()
            )
        except duckdb.Error as exc:
            if is_commit_conflict(exc):
                raise conflict_error(exc) from None
            raise

    return Reclaimed(
        snapshots_expired=call("ducklake_expire_snapshots", keep_snapshots),
        replaced_files_deleted=call("ducklake_cleanup_old_files", grace),
        orphaned_files_deleted=call("ducklake_delete_orphaned_files", grace),
    )
