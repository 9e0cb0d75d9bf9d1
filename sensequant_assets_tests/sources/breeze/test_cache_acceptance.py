"""The Breeze cache never outvotes the warehouse: an answer is cached only once it is written.

daily_bars runs in-process against the stand-in server, counting its calls: a short answer for
a closed year is refused (never-shrink) and not cached, so the next run asks again and the stored
rows stay; an entry cached before this rule that the warehouse refuses is forgotten; and
`refetch: true` brings a correction the source made to a closed year past the cache. An intraday
month refused the same way forgets its cached pages.
"""

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from sensequant_assets.defs.ingestion.assets import symbol_mapping
from sensequant_assets.sources.breeze.cache import AnswerCache
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets.warehouse import storage
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.defs.ingestion.test_assets import ingest, step_failure
from sensequant_assets_tests.defs.intraday.test_assets import fetch_intraday, resources
from sensequant_assets_tests.support.standin_breeze import SourceFactory, StandinBreeze

CODE, YEAR = "OBEREA", 2023
PARTITION = f"OBEROI|{YEAR}"
REFETCH = {"ops": {"daily_bars": {"config": {"refetch": True}}}}


def run(
    instance: dg.DagsterInstance,
    warehouse: WarehouseResource,
    source: BreezeSource,
    run_config: dict[str, object] | None = None,
) -> dg.ExecuteInProcessResult:
    return ingest(instance, warehouse, source, PARTITION, PARTITION, run_config=run_config)


def stored(warehouse: WarehouseResource) -> pd.DataFrame:
    with warehouse.get_connection() as conn:
        return storage.read_bars(conn, ["OBEROI"], [YEAR])


def cache_of(source: BreezeSource) -> AnswerCache:
    return AnswerCache.for_server(Path(source.cache_dir), source.historical_url)


def calls(server: StandinBreeze) -> int:
    return len(server.historical_calls(CODE))


def test_a_refused_short_answer_is_not_cached_and_the_next_run_asks_again(
    instance: dg.DagsterInstance,
    warehouse: WarehouseResource,
    make_source: SourceFactory,
    breeze_server: StandinBreeze,
) -> None:
    source = make_source()
    assert run(instance, warehouse, source).success and calls(breeze_server) == 1
    good = stored(warehouse)
    # The year's entry is gone (it was fetched while the year was open, or the cache is new):
    # the closed year is asked again, and this time the source answers a session short.
    shutil.rmtree(Path(source.cache_dir) / "answers")
    breeze_server.script(CODE, "drop_middle")

    refused = run(instance, warehouse, source)

    assert not refused.success and calls(breeze_server) == 2
    assert cache_of(source).load(CODE, YEAR, "1day").state == "miss"
    message = step_failure(refused).description or ""
    assert f"{PARTITION}: refused to shrink" in message
    assert "the answer was not cached" in message
    assert message.index("ask the source again") < message.index("allow_shrink: true")
    pd.testing.assert_frame_equal(stored(warehouse), good)

    again = run(instance, warehouse, source)  # the source answers whole again
    assert again.success and calls(breeze_server) == 3
    pd.testing.assert_frame_equal(stored(warehouse), good)
    assert run(instance, warehouse, source).success and calls(breeze_server) == 3  # now cached


def test_a_cached_answer_the_warehouse_refuses_is_forgotten(
    instance: dg.DagsterInstance,
    warehouse: WarehouseResource,
    make_source: SourceFactory,
    breeze_server: StandinBreeze,
) -> None:
    """An entry cached short before this rule (as the old code did) fails once, then is asked."""
    source = make_source()
    assert run(instance, warehouse, source).success and calls(breeze_server) == 1
    good = stored(warehouse)
    cache = cache_of(source)
    entry = cache.load(CODE, YEAR, "1day")
    candles = entry.payload["Success"]
    short = {**entry.payload, "Success": candles[:100] + candles[101:]}
    cache.store(CODE, YEAR, "1day", short, dt.datetime.now(dt.UTC))

    refused = run(instance, warehouse, source)

    assert not refused.success and calls(breeze_server) == 1  # the cached answer, refused
    assert "refused to shrink" in (step_failure(refused).description or "")
    assert cache.load(CODE, YEAR, "1day").state == "miss"
    assert run(instance, warehouse, source).success and calls(breeze_server) == 2
    pd.testing.assert_frame_equal(stored(warehouse), good)
    assert cache.load(CODE, YEAR, "1day").state == "hit"


def test_refetch_brings_a_correction_to_a_closed_year_past_the_cache(
    instance: dg.DagsterInstance,
    warehouse: WarehouseResource,
    make_source: SourceFactory,
    breeze_server: StandinBreeze,
) -> None:
    source = make_source()
    assert run(instance, warehouse, source).success and calls(breeze_server) == 1
    before = stored(warehouse)
    breeze_server.script(CODE, "corrected")  # the source corrects one session of the year

    assert run(instance, warehouse, source).success and calls(breeze_server) == 1  # cached
    pd.testing.assert_frame_equal(stored(warehouse), before)

    assert run(instance, warehouse, source, REFETCH).success and calls(breeze_server) == 2
    after = stored(warehouse)
    changed = after["close"].ne(before["close"])
    assert changed.sum() == 1 and len(after) == len(before)

    # The corrected answer is the one cached now: later runs keep the correction, with no call.
    assert run(instance, warehouse, source).success and calls(breeze_server) == 2
    pd.testing.assert_frame_equal(stored(warehouse), after)


@pytest.mark.parametrize(
    ("fault", "refusal"),
    [("drop_middle", "refused to shrink"), ("drop_last", "BarsValidationError: ")],
    ids=["short", "seam-gap"],
)
def test_a_refused_intraday_month_forgets_its_cached_pages(
    instance: dg.DagsterInstance,
    warehouse: WarehouseResource,
    make_source: SourceFactory,
    breeze_server: StandinBreeze,
    fault: str,
    refusal: str,
) -> None:
    """Pages are cached as they arrive (a backfill stopped by the day's cap resumes from them),
    so a month refused (it would shrink, or its pages do not join) forgets them, and the next
    run asks for each again; before, every later run reused them and failed the same way."""
    symbol, code, month = "BENCH011", "BM011", dt.date(2024, 3, 1)
    key = f"2024-03|{symbol}"
    source = make_source()
    instance.add_dynamic_partitions("symbols", [symbol])
    given = resources(warehouse, source)
    dg.materialize([symbol_mapping], instance=instance, resources=given, partition_key=symbol)

    def candles() -> int:
        with warehouse.get_connection() as conn:
            stored = storage.read_intraday_partitions(conn, [(symbol, month)], "1minute")
        return len(stored[symbol, month])

    def intraday_failure(result: dg.ExecuteInProcessResult) -> str:
        return "\n".join(
            str(e.event_specific_data.user_failure_data.description)
            for e in result.all_events
            if e.is_step_failure and e.step_key == "intraday_bars"
        )

    assert intraday_failure(fetch_intraday(instance, warehouse, source, [key])) == ""
    whole, pages = candles(), len(breeze_server.historical_calls(code))
    assert whole > 0 and pages > 1
    shutil.rmtree(Path(source.cache_dir) / "answers")  # the pages must be asked again
    breeze_server.script(code, fault)  # the first page now answers one candle short

    refused = fetch_intraday(instance, warehouse, source, [key])

    assert f"{key}: {refusal}" in intraday_failure(refused)
    assert len(breeze_server.historical_calls(code)) == 2 * pages and candles() == whole
    assert not list((Path(source.cache_dir) / "answers").rglob(f"{code}_*.json"))
    assert intraday_failure(fetch_intraday(instance, warehouse, source, [key])) == ""
    assert len(breeze_server.historical_calls(code)) == 3 * pages and candles() == whole
