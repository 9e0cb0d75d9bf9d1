"""Comparing a warehouse with its snapshots, table by table and row by row."""

from pathlib import Path

from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.snapshots import connect_snapshots
from sensequant_assets.warehouse.tables import TABLES


def differences(warehouse: WarehouseResource, root: Path) -> dict[str, tuple[int, int]]:
    """Per table, (warehouse rows missing from the snapshot, snapshot rows not in the warehouse),
    duplicates counted; only tables that differ. Opens the warehouse read-only, so call it
    between runs."""
    with warehouse.get_connection():
        pass  # creates every table, as any run does, before the read-only attach
    reader = connect_snapshots(root)
    try:
        reader.execute(f"ATTACH '{warehouse.database}' AS wh (READ_ONLY)")
        found = {}
        for table in TABLES:
            ours, theirs = f"wh.{table.name}", f"memory.{table.name}"
            missing, extra = (
                reader.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})").fetchone()[0]
                for a, b in ((ours, theirs), (theirs, ours))
            )
            if missing or extra:
                found[table.name] = (missing, extra)
        return found
    finally:
        reader.close()


def rows(root: Path, query: str) -> list[tuple]:
    reader = connect_snapshots(root)
    try:
        return reader.execute(query).fetchall()
    finally:
        reader.close()
