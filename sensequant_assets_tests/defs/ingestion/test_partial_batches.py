"""Partial batches: one bad partition in a run fails alone, the others are written and stay.

In-process, on a real (test) instance: the statuses are Dagster's own (`get_status_by_partition`,
what the UI's partition bar reads), the failed partition keeps its previous rows and says why,
and the run-failure sensor runs the checks on exactly the partitions the failed run wrote.
"""

import dagster as dg
import pandas as pd
import pytest

from sensequant_assets.definitions import defs
from sensequant_assets.defs.batches import (
    CHECKS_FOR_RUN_TAG,
    WRITTEN_PARTITIONS,
    written_partitions,
)
from sensequant_assets.defs.ingestion.assets import BARS_CODE_VERSION
from sensequant_assets.defs.ingestion.sensors import written_bars_checks_sensor
from sensequant_assets.defs.partitions import symbol_year_partitions
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.universe.partitions import BATCH_TAG, covering_ranges
from sensequant_assets.warehouse import storage
from sensequant_assets.warehouse.versions import bar_versions
from sensequant_assets_tests.conftest import FIXED_NOW
from sensequant_assets_tests.defs.ingestion.test_assets import (
    SYMBOLS,
    MarketStub,
    ingest,
    step_failure,
)
from sensequant_assets_tests.faults.answers import FaultyAnswers

DAILY_BARS = dg.AssetKey("daily_bars")
BAD = "OBEROI|2022"
RUN_KEYS = [f"{symbol}|{year}" for symbol in SYMBOLS for year in (2022, 2023)]


def rows(warehouse, symbol: str, year: int) -> pd.DataFrame:
    with warehouse.get_connection() as conn:
        return storage.read_bars(conn, [symbol], [year])


def test_a_bad_partition_inside_a_run_fails_alone_and_keeps_its_rows(
    instance, warehouse, synthetic_source
):
    assert ingest(instance, warehouse, synthetic_source).success
    kept = rows(warehouse, "OBEROI", 2022)
    assert len(kept) == 248

    faulty = FaultyAnswers(as_of=FIXED_NOW.isoformat(), faults={BAD: "duplicated"})
    result = ingest(instance, warehouse, faulty)

    assert not result.success
    failure = step_failure(result)
    error = f"BarsValidationError: stand-in ({BAD}): duplicate symbol and date on 2022-01-17"
    assert f"{BAD}: {error}" in failure.description
    assert "Re-execute > From failure" in failure.description
    assert list(failure.metadata["failed_partitions"].value) == [BAD]
    written = set(failure.metadata[WRITTEN_PARTITIONS].value)
    assert written == set(RUN_KEYS) - {BAD}

    pd.testing.assert_frame_equal(rows(warehouse, "OBEROI", 2022), kept)
    with warehouse.get_connection() as conn:
        versions = bar_versions(conn, sorted({key.split("|")[0] for key in written}))
    statuses = instance.get_status_by_partition(DAILY_BARS, RUN_KEYS, symbol_year_partitions)
    assert statuses == {
        key: dg.AssetPartitionStatus.FAILED if key == BAD else dg.AssetPartitionStatus.MATERIALIZED
        for key in RUN_KEYS
    }
    this_run = [
        r.asset_materialization
        for r in instance.fetch_materializations(DAILY_BARS, limit=100).records
        if r.run_id == result.run_id
    ]
    assert sorted(m.partition for m in this_run) == sorted(written), "only the written ones"
    for materialization in this_run:  # tagged per dimension, like Dagster's own, and versioned
        symbol, year = str(materialization.partition).split("|")
        tags = materialization.tags
        assert {k: v for k, v in tags.items() if k.startswith("dagster/partition/")} == {
            "dagster/partition/symbol": symbol,
            "dagster/partition/year": year,
        }
        assert tags["dagster/code_version"] == BARS_CODE_VERSION
        assert tags["dagster/data_version"] == versions[symbol, int(year)]
    [observation] = instance.fetch_observations(
        dg.AssetRecordsFilter(asset_key=DAILY_BARS, asset_partitions=[BAD]), limit=5
    ).records
    metadata = observation.asset_observation.metadata
    assert metadata["error"].value == error and metadata["rows_kept"].value == 248
    assert not observation.asset_observation.tags, "a tagged event reads as materialized"
    assert not [e for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]


def test_a_partition_failing_on_its_first_fetch_is_failed_not_missing(instance, warehouse):
    faulty = FaultyAnswers(as_of=FIXED_NOW.isoformat(), faults={BAD: "error"})
    result = ingest(instance, warehouse, faulty)
    assert not result.success
    statuses = instance.get_status_by_partition(DAILY_BARS, [BAD], symbol_year_partitions)
    assert statuses == {BAD: dg.AssetPartitionStatus.FAILED}
    assert rows(warehouse, "OBEROI", 2022).empty


def test_covering_ranges_hold_exactly_the_written_partitions():
    symbols, years = ["A", "R", "W", "I", "Z"], ["2022", "2023", "2024"]
    batch = [f"{s}|{y}" for s in ("R", "W", "I") for y in years]
    written = [key for key in batch if key != "W|2023"]
    ranges = covering_ranges(written, symbols, years)
    assert ranges == [
        ("R|2022", "R|2024"),
        ("W|2022", "W|2022"),
        ("W|2024", "W|2024"),
        ("I|2022", "I|2024"),
    ]
    assert covering_ranges(batch, symbols, years) == [("R|2022", "I|2024")]
    assert covering_ranges([], symbols, years) == []
    both_lack_2023 = [f"{s}|{y}" for s in ("A", "R") for y in ("2022", "2024")]
    assert covering_ranges(both_lack_2023, symbols, years) == [
        ("A|2022", "R|2022"),
        ("A|2024", "R|2024"),
    ]
    with pytest.raises(ValueError, match=r"symbols \['GONE'\] are not partitions"):
        covering_ranges(["GONE|2022"], symbols, years)


def test_the_sensor_checks_exactly_what_the_failed_run_wrote(instance, warehouse, synthetic_source):
    faulty = FaultyAnswers(as_of=FIXED_NOW.isoformat(), faults={BAD: "duplicated"})
    tags = {BATCH_TAG: "nifty"}
    failed = ingest(instance, warehouse, faulty, tags=tags)
    assert not failed.success
    context = dg.build_run_status_sensor_context(
        sensor_name=written_bars_checks_sensor.name,
        dagster_event=failed.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=failed.dagster_run,
    ).for_run_failure()
    written = written_partitions(context.get_step_failure_events(), "daily_bars")
    assert set(written) == set(RUN_KEYS) - {BAD}

    requests = written_bars_checks_sensor(context)
    assert requests and all(r.tags[CHECKS_FOR_RUN_TAG] == failed.run_id for r in requests)
    assert all(r.tags[BATCH_TAG] == "nifty" for r in requests)
    job = defs().resolve_job_def("bars_checks_job")
    checked: list[str] = []
    for request in requests:
        run = job.execute_in_process(
            instance=instance,
            tags=request.tags,
            resources={"warehouse": warehouse, "paths": ProjectPaths()},
        )
        checked += [
            e.asset_check_evaluation_data.partition
            for e in run.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
            and e.asset_check_evaluation_data.check_name == "coverage_check"
        ]
    assert sorted(checked) == sorted(written), "one coverage evaluation per written partition"


def test_the_sensor_leaves_runs_that_wrote_nothing_alone(instance, warehouse, synthetic_source):
    """Every partition failed, or the step failed before writing (a warehouse of the other
    origin): nothing to check, and the sensor moves on to the next failed run."""
    all_failed = ingest(
        instance,
        warehouse,
        FaultyAnswers(as_of=FIXED_NOW.isoformat(), faults={BAD: "error"}),
        start=BAD,
        end=BAD,
    )
    assert ingest(instance, warehouse, MarketStub(as_of=FIXED_NOW.isoformat())).success
    refused = ingest(instance, warehouse, synthetic_source)
    for failed in (all_failed, refused):
        assert not failed.success
        context = dg.build_run_status_sensor_context(
            sensor_name=written_bars_checks_sensor.name,
            dagster_event=failed.get_run_failure_event(),
            dagster_instance=instance,
            dagster_run=failed.dagster_run,
        ).for_run_failure()
        assert written_bars_checks_sensor(context) is None
