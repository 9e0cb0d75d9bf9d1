"""DuckLake warehouses for tests: each in a fresh database of the session's local PostgreSQL."""

import uuid
from pathlib import Path

import psycopg2

from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.support.postgres import LocalPostgres


def fresh_lake(server: LocalPostgres, folder: Path, **fields: object) -> WarehouseResource:
    """A DuckLake warehouse whose catalog is a new, empty database and whose files go under
    `folder`: nothing one test writes is visible to another."""
    database = f"lake_{uuid.uuid4().hex[:16]}"
    env = server.env("postgres")
    admin = psycopg2.connect(
        host=env["DAGSTER_PG_HOST"],
        port=int(env["DAGSTER_PG_PORT"]),
        user=env["DAGSTER_PG_USER"],
        dbname="postgres",
    )
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{database}"')
    finally:
        admin.close()
    settings: dict[str, object] = {
        "database": str(folder / "unused.duckdb"),
        "backend": "ducklake",
        "lake_data_path": str(folder / "lake"),
        "lake_catalog_host": env["DAGSTER_PG_HOST"],
        "lake_catalog_port": int(env["DAGSTER_PG_PORT"]),
        "lake_catalog_db": database,
        "lake_catalog_user": env["DAGSTER_PG_USER"],
        "lake_catalog_password": env["DAGSTER_PG_PASSWORD"],
        "lock_timeout_seconds": 5,
    }
    return WarehouseResource(**{**settings, **fields})
