"""`sensequant migrate-to-lake`: a small demo warehouse copied into a fresh DuckLake."""

from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets import cli
from sensequant_assets.demo import run_batch
from sensequant_assets.universe.constituents import read_constituent_file
from sensequant_assets.warehouse.migration import migrate
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import intraday_partition, replace_intraday, transaction
from sensequant_assets.warehouse.tables import DAILY_BARS, TABLES
from sensequant_assets_tests.faults.processes import child_env
from sensequant_assets_tests.support.lakes import fresh_lake
from sensequant_assets_tests.support.postgres import LocalPostgres
from sensequant_assets_tests.warehouse.test_intraday_storage import APRIL, MARCH, candles

# The demo warehouse is built by the demo's six stages, CatBoost training included (12-17 s
# here), once for the module.
pytestmark = pytest.mark.slow

# Clean symbols, a late listing, an alias, a failed mapping, broken OHLC: rows in every table.
DEMO_SYMBOLS = ("RELIANCE", "TCS", "LICI", "OBEROI", "MCDOWELL-N", "IDEA")


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo batch (`make demo`'s stages) over six of its symbols, into a DuckDB file."""
    root = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as env:
        for name, value in child_env(root).items():
            if name.startswith("SENSEQUANT_"):
                env.setenv(name, value)
        demo_list = root / "constituents" / "demo.txt"
        demo_list.write_text("\n".join(DEMO_SYMBOLS) + "\n", encoding="utf-8")
        from sensequant_assets.definitions import defs

        with dg.instance_for_test() as instance:
            summary = run_batch(defs(), instance, read_constituent_file(demo_list), str)
    assert summary["runs_failed"] == 0, summary
    return root / "warehouse.duckdb"


def table_contents(warehouse: WarehouseResource) -> dict[str, tuple[int, str]]:
    with warehouse.get_connection() as conn:
        return {
            table.name: conn.execute(
                f"SELECT count(*), coalesce(sum(hash({', '.join(table.column_names)})), 0) "
                f"FROM {table.name}"
            ).fetchone()
            for table in TABLES
        }


def test_the_migration_copies_every_table_whole_and_again_copies_nothing(
    demo_warehouse: Path, postgres_server: LocalPostgres, tmp_path: Path
) -> None:
    lake = fresh_lake(postgres_server, tmp_path)
    said: list[str] = []
    copies = migrate(demo_warehouse, lake, say=said.append)
    assert [copy.table for copy in copies] == [table.name for table in TABLES]
    assert all(copy.copied or copy.rows == 0 for copy in copies)
    rows = {copy.table: copy.rows for copy in copies}
    assert (
        rows["daily_bars"] > 1000 and rows["teacher_labels"] > 0 and rows["warehouse_binding"] == 1
    )
    assert rows["teacher_predictions"] > 0 and rows["symbol_mapping"] == len(DEMO_SYMBOLS)
    assert table_contents(lake) == table_contents(WarehouseResource(database=str(demo_warehouse)))
    assert said[2].startswith(f"daily_bars: {rows['daily_bars']} rows copied, checksum ")

    # One data file per slice the assets replace (a symbol-year of daily_bars), as their writes
    # leave it, so later writers of different partitions never share a file.
    with lake.get_connection() as conn:
        keys = ", ".join(key.expression for key in DAILY_BARS.slices)
        slices = conn.execute(f"SELECT count(DISTINCT ({keys})) FROM daily_bars").fetchone()
        files = conn.execute("SELECT count(*) FROM ducklake_list_files('lake', 'daily_bars')")
        assert files.fetchone() == slices

    again = migrate(demo_warehouse, lake, say=said.append)
    assert not any(copy.copied for copy in again)
    assert [(c.rows, c.checksum) for c in again] == [(c.rows, c.checksum) for c in copies]


def test_the_cli_refuses_to_overwrite_other_rows_unless_asked(
    demo_warehouse: Path,
    postgres_server: LocalPostgres,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Through `sensequant migrate-to-lake`, with the lake named by the deployment's variables."""
    lake = fresh_lake(postgres_server, tmp_path)
    for variable, value in {
        "SENSEQUANT_WAREHOUSE_BACKEND": "ducklake",
        "SENSEQUANT_LAKE_DATA_PATH": lake.lake_data_path,
        "DAGSTER_PG_HOST": lake.lake_catalog_host,
        "DAGSTER_PG_PORT": str(lake.lake_catalog_port),
        "DAGSTER_PG_DB": lake.lake_catalog_db,
        "DAGSTER_PG_USER": lake.lake_catalog_user,
    }.items():
        monkeypatch.setenv(variable, value)
    assert cli.main(["migrate-to-lake", str(demo_warehouse)]) == 0
    out, progress = capsys.readouterr()
    assert f"{lake.location} holds every table of {demo_warehouse}" in out
    assert "row counts and checksums match" in out
    # Progress on stderr, partition by partition, as --wait shows a backfill's.
    shown = [line.split(":")[0] for line in progress.splitlines() if " partitions: " in line]
    total = int(shown[0].split("/")[1].split()[0])
    assert total > len(TABLES) and shown == [f"{n}/{total} partitions" for n in range(total + 1)]

    with lake.get_connection() as conn:  # the lake moves on: one bar corrected by a run
        conn.execute("UPDATE daily_bars SET close = close + 1 WHERE symbol = 'TCS'")
    changed = table_contents(lake)["daily_bars"]
    assert cli.main(["migrate-to-lake", str(demo_warehouse)]) == 1
    error = capsys.readouterr().err
    assert f"error: The lake {lake.location} already holds" in error
    assert "daily_bars rows that differ from the" in error and "--replace" in error
    assert table_contents(lake)["daily_bars"] == changed

    assert cli.main(["migrate-to-lake", str(demo_warehouse), "--replace"]) == 0
    source = WarehouseResource(database=str(demo_warehouse))
    assert table_contents(lake) == table_contents(source)


def test_migrated_intraday_partitions_have_files_of_their_own(
    postgres_server: LocalPostgres, tmp_path: Path
) -> None:
    """intraday_bars copied slice by slice (a symbol-month at an interval), so two writers of
    different partitions after the migration never conflict. Copied in one INSERT, as before,
    every partition shared one file and the later of any two intraday writers failed."""
    source = WarehouseResource(database=str(tmp_path / "file.duckdb"))
    parts = [(s, m) for s in ("AAA", "BBB") for m in (MARCH, APRIL)]
    writes = [intraday_partition(s, m, "30minute") for s, m in parts]
    with source.get_connection() as conn, transaction(conn, writes):
        for symbol, month in parts:
            replace_intraday(
                conn, symbol, month, "30minute", "synthetic", candles(symbol, month, "30minute")
            )
    lake = fresh_lake(postgres_server, tmp_path)
    migrate(Path(source.database), lake, say=lambda _: None)
    with lake.get_connection() as conn:
        files = conn.execute("SELECT count(*) FROM ducklake_list_files('lake', 'intraday_bars')")
        assert files.fetchone() == (len(parts),)

    def rewrite(conn: object, symbol: str, price: float) -> None:
        bars = candles(symbol, MARCH, "30minute", price)
        replace_intraday(conn, symbol, MARCH, "30minute", "synthetic", bars)

    with lake.get_connection() as first, lake.get_connection() as second:
        with transaction(second, [intraday_partition("BBB", MARCH, "30minute")]):
            rewrite(second, "BBB", 2.0)
            with transaction(first, [intraday_partition("AAA", MARCH, "30minute")]):
                rewrite(first, "AAA", 1.0)  # commits while `second` is open
        closes = first.execute(
            "SELECT symbol, max(close) FROM intraday_bars WHERE ts < ? GROUP BY ALL ORDER BY 1",
            [APRIL],
        ).fetchall()
    assert closes == [("AAA", 1.0), ("BBB", 2.0)]
