"""The warehouse: the one place every asset reads and writes, a DuckDB file or a DuckLake.

DuckDB admits one writing process per file. Inside Dagster, writers share the `warehouse` pool
(limit 1 in the instance's dagster.yaml) so runs queue instead of colliding; anything outside
Dagster that holds the file (a notebook) makes runs wait a bounded time and then fail with a
message naming the holder. With `backend="ducklake"` the same tables live in a DuckLake
(`lake.py`: catalog in PostgreSQL, Parquet files under `lake_data_path`), which many processes
write at once, so its deployment can raise the pool's limit. This resource is the storage seam:
an asset only sees `get_connection()` and the helpers in `storage.py`, whichever engine it is.
"""

import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import AfterValidator, ConfigDict, Field

from sensequant_assets.paths import DATA_DIR, remove_inside
from sensequant_assets.settings import WHEN_RESOLVED
from sensequant_assets.warehouse import lake
from sensequant_assets.warehouse.tables import TABLES

WAREHOUSE_POOL = "warehouse"
BACKENDS = ("duckdb", "ducklake")


class WarehouseLockedError(RuntimeError):
    """Another process holds the DuckDB file."""


class WarehouseUnavailableError(RuntimeError):
    """The warehouse file or its folder cannot be opened for writing."""


def known_backend(backend: str) -> str:
    """The backend, refused where the resource is built (at code-location load, by
    `defs/resources.py`), not at the first connection."""
    if backend not in BACKENDS:
        raise ValueError(
            f"The warehouse backend {backend!r} is not one of {', '.join(BACKENDS)}; "
            "set SENSEQUANT_WAREHOUSE_BACKEND to one of them."
        )
    return backend


class WarehouseResource(DuckDBResource):
    """The DuckDB file at `database` (with a bounded wait on its single-writer lock), or a
    DuckLake whose catalog lives in the Dagster instance's PostgreSQL server."""

    # A refused value is never quoted back: the webhook URL and the password are secrets.
    model_config = ConfigDict(hide_input_in_errors=True)

    lock_timeout_seconds: Annotated[float, Field(ge=0, le=86_400), WHEN_RESOLVED] = Field(
        default=120.0,
        description="How long to wait for another process to release the file (on DuckLake: "
        "the partition another run is writing).",
    )
    backend: Annotated[str, AfterValidator(known_backend), WHEN_RESOLVED] = Field(
        default="duckdb",
        description="duckdb: the file at `database`, one writing process at a time. ducklake: "
        "catalog in PostgreSQL (lake_catalog_*), data files under lake_data_path, many writers.",
    )
    lake_data_path: str = Field(
        default="",
        description="DuckLake only: folder of the Parquet data files (stands in for object "
        "storage; every run process must reach it), this lake's alone; empty: "
        "data/lake/<lake_catalog_schema>.",
    )
    lake_catalog_schema: str = Field(
        default="sensequant_lake",
        description="DuckLake only: the PostgreSQL schema holding the catalog; created on first "
        "use. One schema is one warehouse.",
    )
    lake_catalog_host: str = Field(default="127.0.0.1", description="DuckLake catalog's host")
    lake_catalog_port: Annotated[int, Field(ge=1, le=65_535), WHEN_RESOLVED] = Field(
        default=5499, description="DuckLake catalog's port"
    )
    lake_catalog_db: str = Field(default="dagster", description="DuckLake catalog's database")
    lake_catalog_user: str = Field(default="postgres", description="DuckLake catalog's user")
    lake_catalog_password: str = Field(
        default="", repr=False, description="DuckLake catalog's password (never logged)"
    )

    @property
    def is_lake(self) -> bool:
        return known_backend(self.backend) == "ducklake"

    @property
    def catalog(self) -> lake.LakeCatalog:
        return lake.LakeCatalog(
            host=self.lake_catalog_host,
            port=self.lake_catalog_port,
            database=self.lake_catalog_db,
            user=self.lake_catalog_user,
            password=self.lake_catalog_password,
            schema=self.lake_catalog_schema,
            data_path=self.lake_data_path or str(DATA_DIR / "lake" / self.lake_catalog_schema),
        )

    @property
    def local_file(self) -> str | None:
        """The DuckDB file, for what only a local file has (read-only snapshots beside it);
        None on the lake, whose readers get snapshots from DuckLake itself."""
        return None if self.is_lake else self.database

    @property
    def location(self) -> str:
        """The warehouse as messages name it (never a password)."""
        return self.catalog.describe() if self.is_lake else self.database

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.is_lake:
            ddl = [table.ddl(constraints=False) for table in TABLES]
            conn = lake.connect(
                self.catalog, ddl, self.connection_config, self.lock_timeout_seconds
            )
        else:
            conn = self._connect()
            for table in TABLES:
                conn.execute(table.ddl())
        try:
            yield conn
        finally:
            conn.close()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        path = Path(self.database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            blocker = next((p for p in (path.parent, *path.parent.parents) if p.is_file()), None)
            reason = f"{blocker} is a file, not a folder" if blocker else exc.strerror
            raise WarehouseUnavailableError(
                f"Cannot create the warehouse folder {path.parent}: {reason}. "
                "Set SENSEQUANT_WAREHOUSE to a writable path."
            ) from exc
        deadline = time.monotonic() + self.lock_timeout_seconds
        delay = 0.05
        while True:
            try:
                if self.database != ":memory:":
                    _create_whole(path)
                return duckdb.connect(self.database, config=self.connection_config)
            except duckdb.IOException as exc:
                message = str(exc)
                if "lock" not in message.lower():
                    raise WarehouseUnavailableError(
                        f"Cannot open the warehouse {path}: {message}. Check that the file and "
                        "its folder are writable, or set SENSEQUANT_WAREHOUSE to another path."
                    ) from exc
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WarehouseLockedError(
                        f"The warehouse {path} is locked by another process "
                        f"({_lock_holder(message)}) and was not released within "
                        f"{self.lock_timeout_seconds:g} s. Close that connection (a notebook, "
                        "a DuckDB shell, a second Dagster instance) and re-run."
                    ) from exc
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 2.0)


def _create_whole(path: Path) -> None:
    """Build a new warehouse file aside and link it into place.

    DuckDB creates the file first and writes its header after; a second run opening the file in
    that instant is told it "is not a valid DuckDB database file" (seen in CI with four runs
    starting at once). Linking a finished file makes it appear complete or not at all.
    """
    if path.exists():
        return
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}.new")
    try:
        duckdb.connect(str(staging)).close()
        os.link(staging, path)
    except FileExistsError:
        pass  # another process linked its file first; both are empty databases
    except OSError:
        pass  # no hard links here: DuckDB creates the file in place and reports any real fault
    finally:
        remove_inside(path.parent, staging)
        remove_inside(path.parent, Path(f"{staging}.wal"))


def _lock_holder(message: str) -> str:
    match = re.search(r"held in (.+?) \(PID (\d+)\)", message)
    return f"PID {match.group(2)}, {match.group(1)}" if match else "holder unknown"
