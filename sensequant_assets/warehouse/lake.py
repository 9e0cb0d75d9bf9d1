"""DuckLake: the warehouse as a catalog in PostgreSQL plus Parquet files under a data path.

A DuckDB file admits one writing process; a DuckLake admits many. Each transaction writes new
Parquet files and commits their names to the catalog in one PostgreSQL transaction, so a killed
writer leaves files nobody references and never a half-replaced partition. Two transactions
conflict only when both delete rows from the same data file; the assets write each partition
with its own INSERT, hence into files of its own, so writers of different partitions meet only
after something merged their files (a compaction, or a migration that copied a table in one
go). Such a commit fails with `WarehouseConflictError` and `conflict_retries` runs it again.
Writers of one partition are never left to that check (a partition with no rows yet has no file
to conflict on): each write transaction holds PostgreSQL advisory locks on the catalog's
database, the writers' lock shared and each partition's exclusively, from before its first read
to after its COMMIT (`writer`); reclaim takes the writers' lock exclusively (`reclaim`). Each
lake's data path is its own, marked at creation (`claim_data_path`).

The `ducklake` and `postgres` extensions come from the duckdb-ext-ducklake and
duckdb-ext-postgres packages (built for DuckDB 1.4.4 only), never from the network.
"""

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import random
import re
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import duckdb
import psycopg2
import psycopg2.errors

from sensequant_assets.paths import remove_inside
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


class LakeOwnershipError(LakeUnavailableError):
    """The data path is marked as another lake's: opening, writing or reclaiming is refused."""


class WriterBusyError(RuntimeError):
    """Another writer held what this one needs (a partition, the lake) past the wait."""


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
    """Load the extensions, attach the lake (creating it on first use), claim its data path and
    USE it."""
    load_extensions(conn)
    Path(catalog.data_path).mkdir(parents=True, exist_ok=True)
    check_owner(catalog)  # before ATTACH, which would create a catalog for a path not ours
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
    claim_data_path(catalog, lake_identity(conn, catalog))


# The file that marks a data path as one lake's own. DuckLake's catalog knows only the files it
# wrote, so two lakes in one folder each see the other's files as orphans; the marker makes a
# second lake's open fail instead.
OWNER_FILE = ".sensequant-lake.json"


def lake_identity(conn: duckdb.DuckDBPyConnection, catalog: LakeCatalog) -> str:
    """The lake's own id: the UUID DuckLake gave its `main` schema when the catalog was created,
    the same whichever host name reaches the server, new if the catalog is dropped and made
    again."""
    row = conn.execute(
        f"SELECT schema_uuid FROM {METADATA}.{_identifier(catalog.schema)}.ducklake_schema "
        "WHERE schema_name = 'main' ORDER BY begin_snapshot LIMIT 1"
    ).fetchone()
    return str(row[0])


def _owner_record(catalog: LakeCatalog, identity: str | None) -> dict[str, str | None]:
    return {
        "lake": identity,
        "catalog": f"{catalog.user}@{catalog.host}:{catalog.port}/{catalog.database}",
        "database": catalog.database,
        "schema": catalog.schema,
    }


def _ownership_error(catalog: LakeCatalog, owner: Mapping[str, object]) -> LakeOwnershipError:
    return LakeOwnershipError(
        f"The data path {catalog.data_path} belongs to the DuckLake {owner.get('schema')} "
        f"(catalog {owner.get('catalog')}, lake id {owner.get('lake')}, per "
        f"{Path(catalog.data_path) / OWNER_FILE}), not to {catalog.describe()}. Two lakes in "
        "one folder would each take the other's files for orphans and delete them, so this "
        "lake is not opened, written or reclaimed there. Give it a folder of its own: set "
        "SENSEQUANT_LAKE_DATA_PATH to another folder, or leave it unset (the default folder is "
        "data/lake/<schema>)."
    )


def check_owner(catalog: LakeCatalog, identity: str | None = None) -> None:
    """Refuse a data path marked as another lake's: by its database and schema, and once the
    lake is attached (`identity` given), by its id."""
    try:
        owner = json.loads((Path(catalog.data_path) / OWNER_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    except (OSError, ValueError) as exc:
        raise LakeOwnershipError(
            f"Cannot read the owner mark {Path(catalog.data_path) / OWNER_FILE} of the data path "
            f"of {catalog.describe()} ({exc}); nothing was opened. Restore it, or move the lake's "
            "files to a folder of their own."
        ) from None
    ours = (catalog.database, catalog.schema)
    if (owner.get("database"), owner.get("schema")) != ours or (
        identity is not None and owner.get("lake") != identity
    ):
        raise _ownership_error(catalog, owner)


def claim_data_path(catalog: LakeCatalog, identity: str) -> None:
    """Mark the data path as this lake's, or prove it already is. The mark appears whole (written
    aside and linked into place), so processes opening a fresh lake at once all read it."""
    folder = Path(catalog.data_path)
    mark = folder / OWNER_FILE
    if not mark.exists():
        staging = folder / f".{OWNER_FILE}.{uuid.uuid4().hex}.new"
        staging.write_text(json.dumps(_owner_record(catalog, identity)), encoding="utf-8")
        try:
            os.link(staging, mark)
        except FileExistsError:
            pass  # another process claimed it first; it is checked below like any mark
        finally:
            remove_inside(folder, staging)
    check_owner(catalog, identity)


# One DuckDB instance per process and lake, with the extensions loaded, the lake attached and
# its tables created: loading the two 50 MB extensions and attaching cost 1-2 s here, which
# every connection would pay again (a run opens the warehouse several times). Connections are
# cursors on it, each with its own transactions. A process normally opens one lake; the few
# most recent are kept (each holds PostgreSQL connections), the oldest closed.
_ATTACHED: OrderedDict[tuple[int, str], duckdb.DuckDBPyConnection] = OrderedDict()
_KEPT = 4
_ATTACHING = threading.Lock()


@dataclass(frozen=True)
class _Lake:
    """What a lake connection's writes and clean-ups need besides the connection itself."""

    catalog: LakeCatalog
    wait_seconds: float


# Each lake connection handed out, with its lake; a DuckDB file's connections are not here.
_LAKES: "weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, _Lake]" = weakref.WeakKeyDictionary()


def connect(
    catalog: LakeCatalog,
    ddl: Sequence[str],
    config: Mapping[str, object],
    wait_seconds: float = 120.0,
) -> duckdb.DuckDBPyConnection:
    """A new connection to the lake, attached once per process (again after PostgreSQL
    restarted: the first query on a dropped catalog connection fails, the next reconnects).
    Its writers wait up to `wait_seconds` for another writer of the same partition."""
    conn = _connect(catalog, ddl, config)
    _LAKES[conn] = _Lake(catalog, wait_seconds)
    return conn


def _connect(
    catalog: LakeCatalog, ddl: Sequence[str], config: Mapping[str, object]
) -> duckdb.DuckDBPyConnection:
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


Partition = tuple[str, ...]
"""What a write transaction replaces: `(table,)` for the whole table, or the table's name and
one partition's key values as text, e.g. `("daily_bars", "INFY", "2024")`."""


# The name the lake's catalog database is attached under by DuckLake (ATTACH ... AS lake).
METADATA = f"__ducklake_metadata_{LAKE}"


def lock_key(catalog: LakeCatalog, *parts: str) -> int:
    """A PostgreSQL advisory lock key (signed 64 bits) for `parts` of this lake. Advisory locks
    belong to the catalog's database; the schema keeps two lakes in one database apart."""
    digest = hashlib.blake2b("\x1f".join((catalog.schema, *parts)).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


# Writers hold this lock shared from before their first data file until after their COMMIT;
# reclaim holds it exclusive while it lists and deletes orphans (`reclaim`).
WRITERS = "sensequant:writers"


@contextlib.contextmanager
def catalog_session(catalog: LakeCatalog) -> Iterator["psycopg2.extensions.connection"]:
    """A PostgreSQL connection to the lake's catalog database, of its own (autocommit): the
    locks it takes are held until it closes, whatever DuckDB's transactions do meanwhile."""
    try:
        session = psycopg2.connect(
            host=catalog.host,
            port=catalog.port,
            dbname=catalog.database,
            user=catalog.user,
            password=catalog.password or None,
            application_name="sensequant-lake-lock",
        )
    except psycopg2.Error as exc:
        failure = catalog.scrub(str(exc)).strip()
        raise LakeUnavailableError(
            f"Cannot open the warehouse {catalog.describe()}: {failure}."
        ) from None
    session.autocommit = True
    try:
        yield session
    finally:
        session.close()


def _hold(
    session: "psycopg2.extensions.connection",
    key: int,
    exclusive: bool,
    wait_seconds: float,
    what: str,
) -> None:
    function = "pg_advisory_lock" if exclusive else "pg_advisory_lock_shared"
    with session.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {max(1, int(wait_seconds * 1000))}")
        try:
            cursor.execute(f"SELECT {function}(%s)", [key])
        except psycopg2.errors.LockNotAvailable:
            holders = _holders(session, key)
            raise WriterBusyError(
                f"{what} was held by another writer ({holders}) for more than "
                f"{wait_seconds:g} s; nothing from this step was stored or deleted, the previous "
                "rows are intact. Re-run it once that writer has finished."
            ) from None


def _holders(session: "psycopg2.extensions.connection", key: int) -> str:
    with session.cursor() as cursor:
        cursor.execute(
            "SELECT l.pid, a.application_name, a.client_addr FROM pg_locks l "
            "LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
            "AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = %s",
            [key],
        )
        rows = cursor.fetchall()
    named = [
        f"PostgreSQL pid {pid} ({app or 'no name'}, {addr or 'local'})" for pid, app, addr in rows
    ]
    return ", ".join(named) or "it has finished since"


# The partitions each open write transaction declared, by connection.
_HELD: "weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, frozenset[Partition]]" = (
    weakref.WeakKeyDictionary()
)


@contextlib.contextmanager
def writer(conn: duckdb.DuckDBPyConnection, writes: Collection[Partition]) -> Iterator[None]:
    """Around a whole write transaction on `conn` (BEGIN to COMMIT): on a lake, hold the
    writers' lock shared (so reclaim never deletes a file this transaction writes) and each
    partition in `writes` exclusively (so two runs never both write one partition), taken
    before the transaction reads anything and released after its COMMIT.

    DuckLake detects a conflict only when two transactions delete from one data file; a
    partition with no rows yet has none, so without the lock two runs writing it both commit.
    DuckLake fixes a transaction's snapshot at its first read of the lake, after the locks
    here, so a writer that waited sees the rows the other committed. A whole-table write
    (`(table,)`) excludes every partition writer of that table. Locks are taken in one order
    (writers, tables, partitions), so writers never deadlock. On a DuckDB file the file's own
    single-writer lock serializes processes; nothing is taken.
    """
    lake = _LAKES.get(conn)
    if lake is None:
        yield
        return
    catalog = lake.catalog
    check_owner(catalog)  # the mark may have changed since this process attached
    tables = sorted({write[0] for write in writes})
    whole = {write[0] for write in writes if len(write) == 1}
    with catalog_session(catalog) as session:
        _hold(session, lock_key(catalog, WRITERS), False, lake.wait_seconds, catalog.describe())
        for table in tables:
            exclusive = table in whole
            what = f"the table {table} of {catalog.describe()}"
            _hold(session, lock_key(catalog, table), exclusive, lake.wait_seconds, what)
        for write in sorted(set(writes)):
            if len(write) > 1:
                what = f"the partition {'|'.join(write[1:])} of {write[0]}"
                _hold(session, lock_key(catalog, *write), True, lake.wait_seconds, what)
        _HELD[conn] = frozenset(writes)
        try:
            yield
        finally:
            _HELD.pop(conn, None)


def require_held(conn: duckdb.DuckDBPyConnection, write: Partition) -> None:
    """Refuse to replace a lake partition its transaction did not declare (so did not lock)."""
    if conn not in _LAKES:
        return
    held = _HELD.get(conn, frozenset())
    if write not in held and (write[0],) not in held:
        raise RuntimeError(
            f"The partition {'|'.join(write[1:])} of {write[0]} is written in a transaction that "
            "did not declare it: pass it to storage.transaction(conn, writes=[...]) so that no "
            "other run writes it at the same time."
        )


# A data file that no snapshot references may belong to a writer outside the platform that
# ignores the writers' lock; one younger than this (by the catalog server's clock) is left alone.
# Run monitoring ends a run after an hour (dagster.yaml), so a day is far past the longest run,
# and past any reader still on a just-expired snapshot.
FILE_GRACE = dt.timedelta(days=1)

# DuckLake names every data and delete file it writes `ducklake-<uuid>[-delete].parquet`; reclaim
# never touches another name.
DATA_FILE = re.compile(
    r"ducklake-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"(-delete)?\.parquet"
)


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

    It runs holding the writers' lock exclusively (`writer`), so no transaction that has not
    committed is writing files meanwhile: every DuckLake file the catalog does not list is a dead
    writer's. Ages are judged by the catalog server's clock, the one DuckLake stamps snapshots
    with, never the job host's. Orphans are found here, not by `ducklake_delete_orphaned_files`
    (which deletes every file under the data path its catalog does not list, another lake's
    and any other file too): only DuckLake-named files that no catalog row names are deleted,
    each proven inside the data path, and only from a data path marked as this lake's own.
    """
    lake = _LAKES[conn]
    catalog = lake.catalog
    check_owner(catalog, lake_identity(conn, catalog))
    with catalog_session(catalog) as session:
        what = f"{catalog.describe()} (its writers)"
        _hold(session, lock_key(catalog, WRITERS), True, lake.wait_seconds, what)
        with session.cursor() as cursor:
            cursor.execute("SELECT now()")
            now = cursor.fetchone()[0]

        def call(procedure: str, age: dt.timedelta) -> int:
            """How many snapshots or files `procedure` removed that are older than `age`."""
            cutoff = (now - age).isoformat()
            try:
                return len(
                    conn.execute(
                        f"CALL {procedure}('{LAKE}', older_than => CAST(? AS TIMESTAMPTZ))",
                        [cutoff],
                    ).fetchall()
                )
            except duckdb.Error as exc:
                if is_commit_conflict(exc):
                    raise conflict_error(exc) from None
                raise

        expired = call("ducklake_expire_snapshots", keep_snapshots)
        replaced = call("ducklake_cleanup_old_files", grace)
        orphans = orphaned_files(conn, catalog, (now - grace).timestamp())
        root = Path(catalog.data_path)
        deleted = sum(remove_inside(root, path) for path in orphans)
    return Reclaimed(
        snapshots_expired=expired, replaced_files_deleted=replaced, orphaned_files_deleted=deleted
    )


def orphaned_files(
    conn: duckdb.DuckDBPyConnection, catalog: LakeCatalog, older_than: float
) -> list[Path]:
    """DuckLake-named files under the data path that no catalog row names (a data file, a delete
    file, a file scheduled for deletion, of any snapshot), modified before `older_than` (epoch
    seconds). Call holding the writers' lock exclusively. File names carry a UUID, so a name
    alone says whether the catalog knows the file."""
    schema = f"{METADATA}.{_identifier(catalog.schema)}"
    known = {
        Path(path).name
        for (path,) in conn.execute(
            f"SELECT path FROM {schema}.ducklake_data_file UNION ALL "
            f"SELECT path FROM {schema}.ducklake_delete_file UNION ALL "
            f"SELECT path FROM {schema}.ducklake_files_scheduled_for_deletion"
        ).fetchall()
    }
    found = []
    for folder, _, names in os.walk(catalog.data_path):  # symlinked folders are not entered
        for name in names:
            path = Path(folder) / name
            if (
                DATA_FILE.fullmatch(name)
                and name not in known
                and not path.is_symlink()
                and path.stat().st_mtime < older_than
            ):
                found.append(path)
    return sorted(found)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
