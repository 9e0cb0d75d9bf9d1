"""The constituent-list sensor, evaluated as the daemon does (evaluate_tick on a real instance).

evaluate_tick validates the backfill requests against the code location's asset graph and, with
the instance, shows what the tick would add; partitions are added here the way the daemon adds
them, so the next tick sees them.
"""

import json
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.defs.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.defs.partitions import years_partitions
from sensequant_assets.defs.quality.assets import coverage_report
from sensequant_assets.defs.quality.checks import daily_bars_checks, mapping_check
from sensequant_assets.defs.teacher.assets import (
    teacher_labels,
    teacher_model,
    teacher_universe_model,
)
from sensequant_assets.defs.universe.sensors import (
    BATCH_ASSETS,
    batch_request,
    constituent_lists_sensor,
)
from sensequant_assets.market.history import HistorySettings
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.teacher.settings import TeacherSettings
from sensequant_assets.universe.batches import Batch, parse_cursor, plan_tick
from sensequant_assets.universe.partitions import BATCH_TAG, symbol_year_key
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests import TEST_FIRST_YEAR
from sensequant_assets_tests.support.dagster_internals import SensorExecutionData

# Everything the sensor targets. No asset runs here: the resources are never opened.
GRAPH = dg.Definitions(
    assets=[
        symbol_mapping,
        daily_bars,
        teacher_labels,
        teacher_model,
        teacher_universe_model,
        coverage_report,
    ],
    asset_checks=[daily_bars_checks, mapping_check],
    sensors=[constituent_lists_sensor],
    resources={
        "warehouse": WarehouseResource(database="unused.duckdb"),
        "bar_source": SyntheticSource(),
        "teacher": TeacherSettings(),
        "paths": ProjectPaths(),
        "history": HistorySettings(first_year=TEST_FIRST_YEAR),
    },
)


@pytest.fixture
def lists_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "constituents"
    directory.mkdir()
    return directory


def tick(instance: dg.DagsterInstance, cursor: str | None, lists_dir: Path) -> SensorExecutionData:
    """One daemon tick: evaluate, then apply the partition requests as the daemon does."""
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        definitions=GRAPH,
        resources={"paths": ProjectPaths(constituents_dir=str(lists_dir))},
    )
    data = constituent_lists_sensor.evaluate_tick(context)
    for request in data.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return data


def requested(data: SensorExecutionData) -> list[tuple[str, set[str]]]:
    """(batch tag, symbol_mapping partitions) of each backfill the tick requested."""
    result = []
    for request in data.run_requests or []:
        assert request.requires_backfill_daemon(), "a batch must be one backfill, not runs"
        subset = request.asset_graph_subset
        mapping = dg.AssetKey("symbol_mapping")
        symbols = (
            set(subset.get_partitions_subset(mapping).get_partition_keys())
            if mapping in subset.partitions_subsets_by_asset_key
            else set()
        )
        result.append((request.tags[BATCH_TAG], symbols))
    return result


def test_new_list_adds_partitions_and_requests_one_tagged_backfill(
    instance: dg.DagsterInstance, lists_dir: Path
) -> None:
    (lists_dir / "batch_a.txt").write_text("RELIANCE\nTCS\n# comment\nINFY\n")
    data = tick(instance, None, lists_dir)
    assert requested(data) == [("batch_a", {"RELIANCE", "TCS", "INFY"})]
    assert instance.get_dynamic_partitions("symbols") == ["RELIANCE", "TCS", "INFY"]
    assert set(parse_cursor(data.cursor)) == {"batch_a.txt"}


def test_backfill_covers_mapping_bars_for_every_year_checks_labels_models_and_report() -> None:
    years = years_partitions.get_partition_keys()
    subset = batch_request(Batch("batch_a", ("TCS",)), years).asset_graph_subset
    assert subset is not None
    assert subset.asset_keys == set(BATCH_ASSETS)
    bars = subset.get_partitions_subset(dg.AssetKey("daily_bars")).get_partition_keys()
    assert set(bars) == {symbol_year_key("TCS", int(year)) for year in years}
    for key in ("symbol_mapping", "teacher_labels", "teacher_model"):
        assert set(subset.get_partitions_subset(dg.AssetKey(key)).get_partition_keys()) == {"TCS"}
    assert dg.AssetKey("coverage_report") in subset.non_partitioned_asset_keys


def test_unchanged_and_redropped_files_request_nothing_twice(
    instance: dg.DagsterInstance, lists_dir: Path
) -> None:
    path = lists_dir / "batch_a.txt"
    path.write_text("RELIANCE\nTCS\n")
    first = tick(instance, None, lists_dir)
    again = tick(instance, first.cursor, lists_dir)
    assert not again.run_requests
    assert again.skip_message and "no new or changed" in again.skip_message

    path.unlink()
    path.write_text("RELIANCE\nTCS\n")  # the same file dropped a second time
    assert not tick(instance, again.cursor, lists_dir).run_requests


def test_changed_list_without_new_symbols_refreshes_only_the_coverage_report(
    instance: dg.DagsterInstance, lists_dir: Path
) -> None:
    # Symbols registered another way (`sensequant backfill`, an earlier list) whose labels may
    # still be building: retraining the universe model here would fail on them.
    instance.add_dynamic_partitions("symbols", ["RELIANCE", "TCS"])
    (lists_dir / "known.txt").write_text("TCS\nRELIANCE\n")
    data = tick(instance, None, lists_dir)
    [request] = data.run_requests or []
    subset = request.asset_graph_subset
    assert subset is not None and request.tags[BATCH_TAG] == "known"
    assert subset.asset_keys == {dg.AssetKey("coverage_report")}
    assert instance.get_dynamic_partitions("symbols") == ["RELIANCE", "TCS"]


def test_cursor_survives_a_restart(instance: dg.DagsterInstance, lists_dir: Path) -> None:
    (lists_dir / "batch_a.txt").write_text("RELIANCE\n")
    cursor = tick(instance, None, lists_dir).cursor
    with dg.instance_for_test() as fresh_daemon_view:
        # A restarted daemon reads the stored cursor; the instance keeps the partitions.
        fresh_daemon_view.add_dynamic_partitions("symbols", ["RELIANCE"])
        assert not tick(fresh_daemon_view, cursor, lists_dir).run_requests


def test_changed_list_requests_only_its_new_symbols_and_removal_deletes_nothing(
    instance: dg.DagsterInstance, lists_dir: Path
) -> None:
    path = lists_dir / "batch_a.txt"
    path.write_text("RELIANCE\nTCS\n")
    cursor = tick(instance, None, lists_dir).cursor
    path.write_text("RELIANCE\nHDFCBANK\n")  # TCS removed, HDFCBANK added
    data = tick(instance, cursor, lists_dir)
    assert requested(data) == [("batch_a", {"HDFCBANK"})]
    assert not any(
        isinstance(r, dg.DeleteDynamicPartitionsRequest)
        for r in data.dynamic_partitions_requests or []
    )
    assert instance.get_dynamic_partitions("symbols") == ["RELIANCE", "TCS", "HDFCBANK"]


def test_list_sharing_symbols_with_an_earlier_one_requests_only_the_new_ones(
    instance: dg.DagsterInstance, lists_dir: Path
) -> None:
    (lists_dir / "a.txt").write_text("RELIANCE\nTCS\n")
    (lists_dir / "b.txt").write_text("TCS\nINFY\n")
    data = tick(instance, None, lists_dir)
    assert requested(data) == [("a", {"RELIANCE", "TCS"}), ("b", {"INFY"})]


def test_bad_lines_are_reported_with_file_and_line_and_valid_symbols_proceed(
    instance: dg.DagsterInstance, lists_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (lists_dir / "mixed.txt").write_text("RELIANCE\nBAD|KEY\n\nTCS,INFY\nTCS\n")
    data = tick(instance, None, lists_dir)
    assert requested(data) == [("mixed", {"RELIANCE", "TCS"})]
    logged = capsys.readouterr().err  # the tick's log, shown on the tick in the UI
    assert f"{lists_dir / 'mixed.txt'}:2:" in logged and "BAD|KEY" in logged
    assert f"{lists_dir / 'mixed.txt'}:4:" in logged and "TCS,INFY" in logged


def test_unreadable_file_is_reported_and_not_fatal(
    instance: dg.DagsterInstance, lists_dir: Path
) -> None:
    (lists_dir / "binary.txt").write_bytes(b"\x00\x01\x02RELIANCE")
    (lists_dir / "latin1.txt").write_bytes("NESTLÉ\n".encode("latin-1"))
    (lists_dir / "good.txt").write_text("TCS\n")
    data = tick(instance, None, lists_dir)
    assert requested(data) == [("good", {"TCS"})]
    plan = plan_tick(lists_dir, {}, [])
    assert any("binary.txt: binary file" in p for p in plan.problems)
    assert any("latin1.txt: not UTF-8" in p for p in plan.problems)

    # Reported by the tick that found it, then quiet until the file changes.
    quiet = tick(instance, data.cursor, lists_dir)
    assert not quiet.run_requests and "no new or changed" in (quiet.skip_message or "")
    (lists_dir / "latin1.txt").write_text("NESTLEIND\n")
    assert requested(tick(instance, quiet.cursor, lists_dir)) == [("latin1", {"NESTLEIND"})]


def test_problems_without_work_are_the_skip_reason(
    instance: dg.DagsterInstance, lists_dir: Path
) -> None:
    (lists_dir / "binary.txt").write_bytes(b"\x00\x01")
    data = tick(instance, None, lists_dir)
    assert not data.run_requests
    assert "binary.txt: binary file" in (data.skip_message or "")


def test_a_corrupt_cursor_is_an_error_not_a_silent_reset() -> None:
    with pytest.raises(ValueError, match="Set cursor value"):
        parse_cursor("not json")
    assert json.loads(json.dumps(parse_cursor('{"a.txt": "abc"}'))) == {"a.txt": "abc"}


def test_an_empty_list_folder_says_what_the_sensor_will_do(
    instance: dg.DagsterInstance, lists_dir: Path
) -> None:
    """The live profile's first start: no list, nothing launched, and the tick says why."""
    data = tick(instance, None, lists_dir)
    assert not data.run_requests
    assert f"no constituent list in {lists_dir} yet" in (data.skip_message or "")
    assert "launches one backfill" in (data.skip_message or "")
