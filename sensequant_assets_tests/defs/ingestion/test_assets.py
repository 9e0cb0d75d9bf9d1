"""In-process materializations of the ingestion assets on a temporary warehouse and instance,
once on a DuckDB file and once on a DuckLake."""

from typing import ClassVar

import dagster as dg
import duckdb
import pytest

from sensequant_assets.defs.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources import ingest as assets_module
from sensequant_assets.sources.base import FetchResult, SymbolMapping
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets.warehouse import storage
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import Origin
from sensequant_assets_tests.conftest import FIXED_NOW
from sensequant_assets_tests.faults.answers import FaultyAnswers

SYMBOLS = ["INFY", "OBEROI", "MCDOWELL-N", "ADANIGREEN"]


@pytest.fixture
def warehouse(any_warehouse: WarehouseResource) -> WarehouseResource:
    """The ingestion assets write through the warehouse layer: both backends, like its tests."""
    return any_warehouse


def ingest(
    instance: dg.DagsterInstance,
    warehouse: WarehouseResource,
    source: object,
    start: str = "INFY|2022",
    end: str = "ADANIGREEN|2023",
    run_config: dict[str, object] | None = None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    resources = {"warehouse": warehouse, "bar_source": source, "paths": ProjectPaths()}
    known = set(instance.get_dynamic_partitions("symbols"))
    instance.add_dynamic_partitions("symbols", [s for s in SYMBOLS if s not in known])
    dg.materialize(
        [symbol_mapping],
        instance=instance,
        resources=resources,
        tags=range_tags(SYMBOLS[0], SYMBOLS[-1]),
    )
    return dg.materialize(
        [daily_bars, symbol_mapping.to_source_asset()],
        instance=instance,
        resources=resources,
        selection=[daily_bars],
        tags={**(tags or {}), **range_tags(start, end)},
        run_config=run_config,
        raise_on_error=False,
    )


def snapshot(warehouse: WarehouseResource) -> tuple[int, str]:
    with warehouse.get_connection() as conn:
        count, checksum = conn.execute(
            "SELECT count(*), sum(hash(symbol, date, open, high, low, close, volume)) "
            "FROM daily_bars"
        ).fetchone()
    return count, str(checksum)


def test_mapping_through_alias_and_failed_lookup_recorded(instance, warehouse, synthetic_source):
    ingest(instance, warehouse, synthetic_source)
    with warehouse.get_connection() as conn:
        rows = storage.read_mappings(conn, SYMBOLS).set_index("symbol")
    assert rows.loc["OBEROI", ["nse_ticker", "isec_code", "status"]].tolist() == [
        "OBEROIRLTY",
        "OBEREA",
        "success",
    ]
    failed = rows.loc["MCDOWELL-N"]
    assert failed["status"] == "failed" and failed["isec_code"] is None
    assert "Result Not Found" in failed["error"]


def test_daily_bars_partitions_and_metadata(instance, warehouse, synthetic_source):
    result = ingest(instance, warehouse, synthetic_source)
    assert result.success
    records = instance.fetch_materializations(dg.AssetKey("daily_bars"), limit=100).records
    metadata = {r.partition_key: r.asset_materialization.metadata for r in records}
    assert len(metadata) == 8
    infy = metadata["INFY|2022"]
    assert infy["dagster/row_count"].value == 248  # 247 sessions + Muhurat 2022-10-24
    assert infy["first_date"].value == "2022-01-03"
    assert infy["source"].value == "synthetic"
    assert "| symbol" in infy["preview"].value
    assert metadata["MCDOWELL-N|2022"]["status"].value.startswith("unmapped")
    assert metadata["ADANIGREEN|2023"]["dagster/row_count"].value == 0
    assert metadata["ADANIGREEN|2023"]["status"].value == "the source returned no rows"


def test_rematerializing_is_idempotent(instance, warehouse, synthetic_source):
    ingest(instance, warehouse, synthetic_source)
    first = snapshot(warehouse)
    ingest(instance, warehouse, synthetic_source)
    assert snapshot(warehouse) == first
    with warehouse.get_connection() as conn:
        duplicates = conn.execute(
            "SELECT count(*) FROM "
            "(SELECT symbol, date FROM daily_bars GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
    assert duplicates == 0


def test_failure_mid_write_keeps_previous_rows(instance, warehouse, synthetic_source, monkeypatch):
    """The third partition's write fails after two were written: the transaction rolls back."""
    ingest(instance, warehouse, synthetic_source)
    before = snapshot(warehouse)
    writes = []

    def fail_on_third_write(conn, symbol, year, bars):
        writes.append((symbol, year))
        if len(writes) == 3:
            raise duckdb.IOException("disk full (injected)")
        storage.replace_bars(conn, symbol, year, bars.assign(close=bars["close"] * 2))

    monkeypatch.setattr(assets_module, "replace_bars", fail_on_third_write)
    result = ingest(instance, warehouse, synthetic_source)
    assert not result.success and len(writes) == 3
    assert snapshot(warehouse) == before


class MarketStub(SyntheticSource):
    """A market-origin source: the same synthetic bars, labelled as live data."""

    name: ClassVar[str] = "breeze"
    origin: ClassVar[Origin] = "market"

    def fetch_year(self, mapping: SymbolMapping, year: int) -> FetchResult:
        result = super().fetch_year(mapping, year)
        return FetchResult(result.bars.assign(source=self.name), result.stats)


def test_mixing_synthetic_into_a_market_warehouse_is_refused(instance, warehouse, synthetic_source):
    assert ingest(instance, warehouse, MarketStub(as_of=FIXED_NOW.isoformat())).success
    before = snapshot(warehouse)
    result = ingest(instance, warehouse, synthetic_source)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "holds market data; refusing to write synthetic data" in str(
        failure.event_specific_data.error.cause.message
    )
    assert snapshot(warehouse) == before


def test_a_source_error_fails_its_partition_alone(instance, warehouse, synthetic_source):
    """One partition's error fails that partition; the run writes the other seven."""
    source = FaultyAnswers(as_of=FIXED_NOW.isoformat(), faults={"INFY|2023": "error"})
    result = ingest(instance, warehouse, source)
    assert not result.success
    failure = step_failure(result)
    assert "1 of 8 daily_bars partitions failed and kept their stored rows" in failure.description
    assert "INFY|2023: ConnectionError: stand-in: connection reset" in failure.description
    with warehouse.get_connection() as conn:
        written = conn.execute("SELECT symbol, year FROM bar_partitions").fetchall()
    assert len(written) == 7 and ("INFY", 2023) not in written


def step_failure(result: dg.ExecuteInProcessResult) -> dg.Failure:
    """The user-facing failure (description and metadata) of the run's failed daily_bars step."""
    [event] = [e for e in result.all_events if e.is_step_failure]
    assert event.step_key == "daily_bars"
    data = event.step_failure_data.user_failure_data
    assert data is not None, event.step_failure_data.error
    return dg.Failure(description=data.description, metadata=data.metadata)
