"""Never shrink silently: a refresh may add sessions and correct values, never drop stored ones.

The rule is a plain function (`shrink_problem`), applied per partition by `settle_partitions`;
the in-process runs show what a user gets when a source answers a stored year empty, short or
shifted: that partition fails naming both counts and the vanishing dates, its rows stay, and
the run's other partitions are written. `allow_shrink` is the explicit way to replace them.
"""

import datetime as dt

import dagster as dg
import pandas as pd
import pytest

from sensequant_assets.defs.partitions import symbol_year_partitions
from sensequant_assets.sources.base import FetchResult
from sensequant_assets.sources.write_policy import settle_partitions
from sensequant_assets.warehouse import storage
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.conftest import FIXED_NOW, synthetic_at_fixed_now
from sensequant_assets_tests.defs.ingestion.test_assets import ingest, step_failure
from sensequant_assets_tests.faults.answers import SHORT_BY, FaultyAnswers

DAILY_BARS = dg.AssetKey("daily_bars")
JAN = [dt.date(2024, 1, day) for day in (1, 2, 3, 4, 5)]


def test_more_sessions_or_the_same_ones_are_no_shrink():
    assert storage.shrink_problem(JAN[:3], JAN) is None
    assert storage.shrink_problem(JAN, JAN) is None
    assert storage.shrink_problem([], []) is None


@pytest.mark.parametrize(
    ("fetched", "counts", "vanishing"),
    [
        ([], "answered 0 session(s) where 5 are stored", "5 stored date(s)"),
        (JAN[:3], "answered 3 session(s) where 5 are stored", "2 stored date(s)"),
        ([*JAN[:4], dt.date(2024, 1, 6)], "answered 5 session(s) where 5 are stored", "1 stored"),
    ],
    ids=["empty", "short", "shifted"],
)
def test_empty_short_and_shifted_answers_are_shrinks(fetched, counts, vanishing):
    problem = storage.shrink_problem(JAN, fetched)
    assert problem is not None
    assert counts in problem and vanishing in problem
    lost = sorted(set(JAN) - set(fetched))
    assert problem.endswith(", ".join(day.isoformat() for day in lost))


def test_a_long_list_of_vanishing_dates_is_cut_short_and_counted():
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(25)]
    problem = storage.shrink_problem(days, [])
    assert problem is not None
    assert problem.endswith("2024-01-10 and 15 more") and "25 stored date(s)" in problem


def bars_on(days: list[dt.date]) -> FetchResult:
    return FetchResult(pd.DataFrame({"date": pd.to_datetime(days)}))


def test_settling_a_run_fails_errors_and_shrinks_and_keeps_the_rest():
    answers = {
        ("A", 2024): bars_on(JAN),  # grew from 3 stored sessions
        ("B", 2024): bars_on(JAN[:2]),  # shrank from 5
        ("C", 2024): ValueError("duplicate date"),
        ("D", 2024): bars_on([]),  # nothing stored, nothing answered
    }
    stored = {("A", 2024): set(JAN[:3]), ("B", 2024): set(JAN), ("C", 2024): set(JAN)}
    outcome = settle_partitions(answers, stored)
    assert set(outcome.written) == {("A", 2024), ("D", 2024)}
    assert outcome.failed[("C", 2024)] == "ValueError: duplicate date"
    assert outcome.failed[("B", 2024)].startswith("refused to shrink: the source answered 2")
    assert "allow_shrink: true" in outcome.failed[("B", 2024)]
    assert outcome.removed == {}

    allowed = settle_partitions(answers, stored, allow_shrink=True)
    assert set(allowed.written) == {("A", 2024), ("B", 2024), ("D", 2024)}
    assert allowed.removed == {("B", 2024): JAN[2:]}
    assert set(allowed.failed) == {("C", 2024)}


def test_stored_dates_are_read_per_partition(warehouse: WarehouseResource):
    source = synthetic_at_fixed_now()
    bars = source.fetch_year(source.lookup("INFY", "INFY"), 2023).bars
    with warehouse.get_connection() as conn:
        with storage.transaction(conn):
            storage.replace_bars(conn, "INFY", 2023, bars)
        stored = storage.stored_bar_dates(conn, [("INFY", 2023), ("INFY", 2024), ("TCS", 2023)])
    assert stored[("INFY", 2023)] == {ts.date() for ts in bars["date"]}
    assert stored[("INFY", 2024)] == set() and stored[("TCS", 2023)] == set()


def partition_rows(warehouse: WarehouseResource, symbol: str, year: int) -> pd.DataFrame:
    with warehouse.get_connection() as conn:
        return storage.read_bars(conn, [symbol], [year])


def latest_run_by_partition(instance: dg.DagsterInstance) -> dict[str, str]:
    records = instance.fetch_materializations(DAILY_BARS, limit=1000).records
    latest: dict[str, str] = {}
    for record in sorted(records, key=lambda r: r.storage_id):
        latest[str(record.partition_key)] = record.run_id
    return latest


@pytest.mark.parametrize(
    ("fault", "answered", "vanishing"),
    [("empty", 0, 246), ("short", 246 - SHORT_BY, SHORT_BY), ("shifted", 246, 1)],
)
def test_a_refresh_that_would_shrink_fails_its_partition_and_keeps_its_rows(
    instance, warehouse, synthetic_source, fault, answered, vanishing
):
    assert ingest(instance, warehouse, synthetic_source).success
    before = partition_rows(warehouse, "INFY", 2023)
    assert len(before) == 246

    faulty = FaultyAnswers(as_of=FIXED_NOW.isoformat(), faults={"INFY|2023": fault})
    result = ingest(instance, warehouse, faulty)

    assert not result.success
    message = step_failure(result).description
    assert (
        f"INFY|2023: refused to shrink: the source answered {answered} session(s) where 246 are "
        f"stored; {vanishing} stored date(s) would disappear: "
    ) in message
    pd.testing.assert_frame_equal(partition_rows(warehouse, "INFY", 2023), before)
    status = instance.get_status_by_partition(
        DAILY_BARS, ["INFY|2023", "INFY|2022", "OBEROI|2023"], symbol_year_partitions
    )
    assert status == {
        "INFY|2023": dg.AssetPartitionStatus.FAILED,
        "INFY|2022": dg.AssetPartitionStatus.MATERIALIZED,
        "OBEROI|2023": dg.AssetPartitionStatus.MATERIALIZED,
    }
    latest = latest_run_by_partition(instance)
    assert latest["INFY|2023"] != result.run_id, "the failed partition was reported materialized"
    assert sum(run == result.run_id for run in latest.values()) == 7


def test_allow_shrink_replaces_the_rows_when_asked(instance, warehouse, synthetic_source):
    assert ingest(instance, warehouse, synthetic_source).success
    faulty = FaultyAnswers(as_of=FIXED_NOW.isoformat(), faults={"INFY|2023": "short"})
    config = {"ops": {"daily_bars": {"config": {"allow_shrink": True}}}}
    result = ingest(instance, warehouse, faulty, run_config=config)
    assert result.success
    assert len(partition_rows(warehouse, "INFY", 2023)) == 246 - SHORT_BY
    [record] = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=DAILY_BARS, asset_partitions=["INFY|2023"]), limit=1
    ).records
    assert record.asset_materialization.metadata["dates_removed"].value == SHORT_BY


def test_a_refresh_that_adds_sessions_is_written(instance, warehouse):
    earlier = FaultyAnswers(as_of="2025-03-31T12:00:00+00:00")
    assert ingest(instance, warehouse, earlier, start="INFY|2025", end="OBEROI|2025").success
    before = len(partition_rows(warehouse, "INFY", 2025))
    later = FaultyAnswers(as_of=FIXED_NOW.isoformat())
    assert ingest(instance, warehouse, later, start="INFY|2025", end="OBEROI|2025").success
    assert len(partition_rows(warehouse, "INFY", 2025)) > before
