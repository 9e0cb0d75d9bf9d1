"""History as deep as the source serves: a deployment moves its first year from 2022 to 2016.

The new year partitions are the only ones added; backfilling them asks Breeze (the stand-in, whose
calls are counted) only for their years, three consecutive years a call, and leaves every stored
row and partition record of 2022 on as it was: nothing is fetched again. Moving the first year
later deletes nothing.
"""

from pathlib import Path

import dagster as dg
import pandas as pd

from sensequant_assets.defs.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.defs.partitions import years_from, years_partitions
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources.base import SymbolMapping
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets.sources.daily_batch import fetch_partitions
from sensequant_assets.sources.write_policy import settle_partitions
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import (
    replace_bars,
    replace_rows,
    stored_bar_dates,
    transaction,
)
from sensequant_assets_tests.support.standin_breeze import SourceFactory, StandinBreeze

SYMBOLS = ("RELIANCE", "TCS")
STORED = (2022, 2023, 2024)


def backfill(
    source: BreezeSource,
    warehouse: WarehouseResource,
    mappings: dict[str, SymbolMapping],
    keys: list[str],
) -> None:
    """What a backfill run of daily_bars does with its partitions: one fetch, one write."""
    wanted = [(symbol, int(year)) for symbol, year in (key.split("|") for key in keys)]
    answers = fetch_partitions(source, mappings, wanted)
    with warehouse.get_connection() as conn, transaction(conn):
        outcome = settle_partitions(answers, stored_bar_dates(conn, wanted))
        assert not outcome.failed
        for (symbol, year), result in outcome.written.items():
            replace_bars(conn, symbol, year, result.bars)


def keys_of(first: int) -> set[str]:
    """The symbol-year keys the partitions from `first` hold for SYMBOLS, through 2024."""
    years = [int(year) for year in years_from(first).get_partition_keys() if int(year) <= 2024]
    return {f"{symbol}|{year}" for symbol in SYMBOLS for year in years}


def stored(warehouse: WarehouseResource) -> tuple[pd.DataFrame, pd.DataFrame]:
    with warehouse.get_connection() as conn:
        bars = conn.execute("SELECT * FROM daily_bars ORDER BY symbol, date").df()
        partitions = conn.execute("SELECT * FROM bar_partitions ORDER BY symbol, year").df()
    return bars, partitions


def test_extending_to_2016_adds_partitions_and_fetches_only_them(
    make_source: SourceFactory, breeze_server: StandinBreeze, tmp_path: Path
) -> None:
    source = make_source()
    warehouse = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    mappings = {symbol: source.lookup(symbol, symbol) for symbol in SYMBOLS}
    with warehouse.get_connection() as conn:
        replace_rows(conn, "daily_bars", "FALSE", [], pd.DataFrame())  # tables exist

    before = keys_of(2022)
    backfill(source, warehouse, mappings, sorted(before))
    assert len(breeze_server.historical_calls()) == len(SYMBOLS)  # 2022-2024: one call each
    bars_before, partitions_before = stored(warehouse)

    after = keys_of(2016)
    added = after - before
    assert before < after and {key.split("|")[1] for key in added} == {
        str(year) for year in range(2016, 2022)
    }
    breeze_server.reset()
    backfill(source, warehouse, mappings, sorted(added))

    calls = breeze_server.historical_calls()
    # Six years a symbol, three a call (about 750 candles, under the 1000-candle cap).
    assert len(calls) == 2 * len(SYMBOLS)
    assert all(
        "2015-12-31" <= call.query["from_date"][:10] <= call.query["to_date"][:10] <= "2022-01-01"
        for call in calls
    )
    bars_after, partitions_after = stored(warehouse)
    old = bars_after[bars_after["date"].dt.year >= 2022].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, bars_before)
    kept = partitions_after[partitions_after["year"] >= 2022].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, partitions_before)  # not rewritten: same written_at
    assert set(bars_after["date"].dt.year) == set(range(2016, 2025))


def test_moving_the_first_year_later_deletes_no_row(
    make_source: SourceFactory,
    tmp_path: Path,
    instance: dg.DagsterInstance,
    paths: ProjectPaths,
) -> None:
    """The suite runs from 2022 (TEST_FIRST_YEAR): a warehouse that holds 2016-2021 keeps them
    through runs of the real symbol_mapping and daily_bars assets on the shorter history."""
    source = make_source()
    warehouse = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    mappings = {symbol: source.lookup(symbol, symbol) for symbol in SYMBOLS}
    with warehouse.get_connection() as conn:
        replace_rows(conn, "daily_bars", "FALSE", [], pd.DataFrame())
    backfill(source, warehouse, mappings, sorted(keys_of(2016)))
    early_before = stored(warehouse)[0].query("date < '2022-01-01'").reset_index(drop=True)

    assert years_partitions.get_partition_keys()[0] == "2022"  # shorter than what is stored
    instance.add_dynamic_partitions("symbols", list(SYMBOLS))
    resources = {"warehouse": warehouse, "bar_source": source, "paths": paths}
    for asset, key in ((symbol_mapping, "RELIANCE"), (daily_bars, "RELIANCE|2024")):
        result = dg.materialize([asset], partition_key=key, resources=resources, instance=instance)
        assert result.success
    early_after = stored(warehouse)[0].query("date < '2022-01-01'").reset_index(drop=True)
    pd.testing.assert_frame_equal(early_after, early_before)
    assert set(early_after["date"].dt.year) == set(range(2016, 2022))
