"""A user's batch flow through the real webserver and daemon, then through a real browser.

A list dropped into the watched folder becomes partitions and a backfill (the sensor); another
list is backfilled from the command line (GraphQL). TATASTEEL (three sessions missing in 2023 in
the synthetic scenario) must show a failed coverage check with its evidence, in GraphQL and on
the page a person reads, and no model: its teacher_model partition stays unmaterialized on the
partitions page, with the reason on its event.

The command-line list holds WIPRO, stored earlier, whose 2023 the source now answers with a
repeated date (the test code location, `location.py`). In the same run as WIPRO's other years,
it must fail alone: every other partition materialized with its rows and checked, WIPRO|2023
failed with its error, its earlier rows kept, and `sensequant retry` targeting exactly it.
"""

from collections import Counter
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from sensequant_assets import cli
from sensequant_assets.defs.batches import CHECKS_FOR_RUN_TAG
from sensequant_assets.defs.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.defs.partitions import years_partitions
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.universe.partitions import BATCH_TAG, range_tags, split_symbol_year
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.e2e import location
from sensequant_assets_tests.support.browser import chromium_page
from sensequant_assets_tests.support.dagster_dev import (
    DAEMON_BOUND,
    DagsterDev,
    all_finished,
    backfills,
    dagster_dev,
    processes_with_home,
    run_forkservers,
    wait_for,
)
from sensequant_assets_tests.support.graphql import (
    BACKFILL,
    backfill_counts,
    check_grid,
    check_row,
    coverage,
    entries,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DEFECTIVE = "TATASTEEL"
BROKEN = location.BROKEN  # WIPRO|2023: answered with a repeated date
BROKEN_SYMBOL, BROKEN_YEAR = split_symbol_year(BROKEN)
SENSOR_LIST = f"{DEFECTIVE}\nTCS\nBAD|LINE\n"
CLI_SYMBOLS = ["RELIANCE", BROKEN_SYMBOL, "INFY"]
CLI_LIST = "".join(f"{symbol}\n" for symbol in CLI_SYMBOLS)
SYMBOLS = {DEFECTIVE, "TCS", *CLI_SYMBOLS}
MISSING_2023 = ["2023-03-15", "2023-06-07", "2023-10-11"]

ASSET = """
query($path: [String!]!, $partitions: [String!], $broken: String!) {
  assetNodeOrError(assetKey: {path: $path}) {
    ... on AssetNode {
      partitionKeys
      partitionStats { numMaterialized numPartitions numFailed }
      latestRunForPartition(partition: $broken) { runId status }
      assetObservations(partitions: [$broken]) {
        metadataEntries {
          label
          ... on TextMetadataEntry { text }
          ... on IntMetadataEntry { intValue }
        }
      }
      latestMaterializationByPartition(partitions: $partitions) {
        partition
        runId
        metadataEntries { label ... on TextMetadataEntry { text } }
      }
    }
  }
}"""


STATUSES = """
query {
  assetNodeOrError(assetKey: {path: ["daily_bars"]}) {
    ... on AssetNode {
      assetPartitionStatuses {
        ... on MultiPartitionStatuses {
          ranges {
            primaryDimStartKey
            primaryDimEndKey
            secondaryDim {
              ... on DefaultPartitionStatuses { materializedPartitions failedPartitions }
            }
          }
        }
      }
    }
  }
}"""

RUNS = """
query($tag: String!, $value: String!) {
  runsOrError(filter: {tags: [{key: $tag, value: $value}]}) {
    ... on Runs { results { runId status assetSelection { path } } }
  }
}"""


MODEL_OBSERVATIONS = """
query($partitions: [String!]) {
  assetNodeOrError(assetKey: {path: ["teacher_model"]}) {
    ... on AssetNode {
      assetObservations(partitions: $partitions) {
        partition
        metadataEntries {
          label
          ... on TextMetadataEntry { text }
          ... on MarkdownMetadataEntry { mdStr }
        }
      }
    }
  }
}"""


def asset(server: DagsterDev, name: str, partitions: list[str] | None = None) -> dict[str, Any]:
    found = server.query(ASSET, path=[name], partitions=partitions, broken=BROKEN)
    return found["assetNodeOrError"]


def bar_statuses(server: DagsterDev) -> dict[str, set[str]]:
    """daily_bars partitions by status, as the UI's partition grid draws them."""
    years = years_partitions.get_partition_keys()
    node = server.query(STATUSES)["assetNodeOrError"]["assetPartitionStatuses"]
    found: dict[str, set[str]] = {"materialized": set(), "failed": set()}
    for span in node["ranges"]:
        first, last = years.index(span["primaryDimStartKey"]), years.index(span["primaryDimEndKey"])
        for year in years[first : last + 1]:
            symbols = span["secondaryDim"]
            found["materialized"] |= {f"{s}|{year}" for s in symbols["materializedPartitions"]}
            found["failed"] |= {f"{s}|{year}" for s in symbols["failedPartitions"]}
    return found


def runs_tagged(server: DagsterDev, tag: str, value: str) -> list[dict[str, Any]]:
    return server.query(RUNS, tag=tag, value=value)["runsOrError"]["results"]


def partition_rows(warehouse: Path, partition: str) -> tuple[int, str]:
    symbol, year = split_symbol_year(partition)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        count, checksum = conn.execute(
            "SELECT count(*), sum(hash(date, open, high, low, close, volume)) FROM daily_bars "
            "WHERE symbol = ? AND year(date) = ?",
            [symbol, year],
        ).fetchone()
    return count, str(checksum)


def store_a_previous_version(server: DagsterDev, monkeypatch: pytest.MonkeyPatch) -> None:
    """What an earlier run left: WIPRO mapped and all its years stored from a good answer.

    Run in-process on the server's own instance and warehouse before any backfill.
    """
    resources = {
        "warehouse": WarehouseResource(database=str(server.warehouse)),
        "bar_source": SyntheticSource(),
        "paths": ProjectPaths(),
    }
    years = years_partitions.get_partition_keys()
    with monkeypatch.context() as env:
        env.setenv("DAGSTER_HOME", str(server.root / "dagster_home"))
        with dg.DagsterInstance.get() as instance:
            instance.add_dynamic_partitions("symbols", [BROKEN_SYMBOL])
            for assets, selected, partitions in (
                ([symbol_mapping], symbol_mapping, {"partition_key": BROKEN_SYMBOL}),
                (
                    [daily_bars, symbol_mapping.to_source_asset()],
                    daily_bars,
                    {
                        "tags": range_tags(
                            f"{BROKEN_SYMBOL}|{years[0]}", f"{BROKEN_SYMBOL}|{years[-1]}"
                        )
                    },
                ),
            ):
                done = dg.materialize(
                    assets,
                    instance=instance,
                    resources=resources,
                    selection=[selected],
                    **partitions,
                )
                assert done.success


@pytest.mark.xdist_group(DAEMON_BOUND)
def test_dropped_list_and_cli_batch_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    years = years_partitions.get_partition_keys()
    with dagster_dev(tmp_path, module=location.__name__) as server:
        store_a_previous_version(server, monkeypatch)
        kept = partition_rows(server.warehouse, BROKEN)
        assert kept[0] > 200
        # The user's two ways in: drop a list, or run the documented command.
        (server.constituents / "e2e_sensor.txt").write_text(SENSOR_LIST)
        cli_list = tmp_path / "e2e_cli.txt"
        cli_list.write_text(CLI_LIST)
        assert cli.main(["backfill", str(cli_list), "--url", server.url]) == 0

        launched = wait_for(
            "the sensor's backfill",
            lambda: [
                b
                for b in backfills(server)
                if {"key": BATCH_TAG, "value": "e2e_sensor"} in b["tags"]
            ],
            timeout_s=120,
            server=server,
        )
        assert len(launched) == 1, "one list, one backfill"
        by_batch = {
            tag["value"]: b["id"]
            for b in backfills(server)
            for tag in b["tags"]
            if tag["key"] == BATCH_TAG
        }
        assert set(by_batch) == {"e2e_sensor", "e2e_cli"}
        assert set(asset(server, "symbol_mapping")["partitionKeys"]) == SYMBOLS

        statuses = wait_for(
            "both backfills to finish",
            lambda: all_finished(server, list(by_batch.values())),
            timeout_s=540,
            server=server,
        )
        assert {batch: statuses[i] for batch, i in by_batch.items()} == {
            # TATASTEEL's teacher_model is gated, so not materialized: the backfill says so.
            "e2e_sensor": "COMPLETED_FAILED",
            "e2e_cli": "COMPLETED_FAILED",  # WIPRO|2023 failed, and what depends on it waits
        }, statuses
        sensor_batch = backfill_counts(server, by_batch["e2e_sensor"])
        assert sensor_batch["teacher_model"] == (2, 1, 1)
        assert sensor_batch["daily_bars"] == (2 * len(years), 2 * len(years), 0)
        # The batch's runs are few and wide, and each level is one pass's runs, as the backfill
        # policy chunks it: a pass waits until the level before has ended, so it never sees a
        # level half-written and splits the next (docs/benchmarks.md, "Orchestration"). Of 2
        # symbols x 3 years, Dagster's chunking of symbol x year runs one symbol a run.
        runs = runs_tagged(server, "dagster/backfill", by_batch["e2e_sensor"])
        per_asset = Counter(
            "/".join(key["path"]) for run in runs for key in run["assetSelection"] or []
        )
        sensor_symbols = 2  # DEFECTIVE and TCS; BAD|LINE is refused by the list's parser
        assert per_asset.pop("daily_bars") == sensor_symbols, per_asset
        assert set(per_asset.values()) == {1}, per_asset

        # One bad partition inside the command-line batch: it alone failed, with its error.
        cli_keys = {f"{symbol}|{year}" for symbol in CLI_SYMBOLS for year in years}
        total = len(cli_keys)
        assert backfill_counts(server, by_batch["e2e_cli"])["daily_bars"] == (total, total - 1, 1)
        shown = bar_statuses(server)
        assert shown["failed"] == {BROKEN}
        assert shown["materialized"] >= cli_keys - {BROKEN}
        node = asset(server, "daily_bars")
        bars = node["partitionStats"]
        assert bars["numPartitions"] == len(SYMBOLS) * len(years)
        assert (bars["numMaterialized"], bars["numFailed"]) == (bars["numPartitions"] - 1, 1)
        assert node["latestRunForPartition"]["status"] == "FAILURE"
        failed_run = node["latestRunForPartition"]["runId"]
        # Its run wrote WIPRO's other years (with fewer symbols than years, a backfill of
        # symbol x year runs one symbol a run; of 100 symbols x 3 years, one year a run).
        same_run = [f"{BROKEN_SYMBOL}|{year}" for year in years if year != str(BROKEN_YEAR)]
        rewritten = asset(server, "daily_bars", same_run)["latestMaterializationByPartition"]
        assert {m["partition"]: m["runId"] for m in rewritten} == dict.fromkeys(
            same_run, failed_run
        )
        [why] = [entries(o["metadataEntries"]) for o in node["assetObservations"]]
        assert f"stand-in ({BROKEN}): duplicate symbol and date on" in why["error"]
        assert why["rows_kept"] == kept[0]
        assert partition_rows(server.warehouse, BROKEN) == kept, "the earlier rows were lost"
        for key in cli_keys - {BROKEN}:
            assert partition_rows(server.warehouse, key)[0] > 0, key
        # No labels from failed bars; no model for the gated symbol either.
        expected = {"symbol_mapping": 5, "teacher_labels": 4, "teacher_model": 3}
        for name, count in expected.items():
            stats = asset(server, name)["partitionStats"]
            assert stats["numMaterialized"] == count == len(SYMBOLS) - (5 - count), (name, stats)

        # The partitions that run wrote were checked in follow-up runs; the failed one was not.
        checks = wait_for(
            "the checks of the partitions the failed run wrote",
            lambda: (
                (found := runs_tagged(server, CHECKS_FOR_RUN_TAG, failed_run))
                and all(run["status"] in {"SUCCESS", "FAILURE", "CANCELED"} for run in found)
                and found
            ),
            timeout_s=180,
            server=server,
        )
        assert {run["status"] for run in checks} == {"SUCCESS"}, checks
        for key in cli_keys - {BROKEN}:
            assert coverage(server, key)["status"] == "SUCCEEDED", key
        unchecked = coverage(server, BROKEN)  # planned in the failed run, never evaluated
        assert (unchecked["status"], unchecked["evaluation"]) == ("EXECUTION_FAILED", None)
        # The check grid a person reads draws every partition in its status: the instance's
        # event log folds it status by status (dagster_internals.check_state_by_status).
        every = {f"{symbol}|{year}" for symbol in SYMBOLS for year in years}
        failing = f"{DEFECTIVE}|2023"
        assert check_grid(server, "coverage_check", years) == {
            "SUCCEEDED": every - {failing, BROKEN},
            "FAILED": {failing},
            "IN_PROGRESS": set(),
            "SKIPPED": set(),
            "EXECUTION_FAILED": {BROKEN},
        }

        # Re-running exactly what failed is one command (the backfill page's From failure).
        capsys.readouterr()
        assert cli.main(["retry", by_batch["e2e_cli"], "--url", server.url]) == 0
        retry_id = capsys.readouterr().out.rsplit("/runs/b/", 1)[1].strip()
        retried = server.query(BACKFILL, id=retry_id)["partitionBackfillOrError"]
        assert retried["partitionsTargetedForAssetKey"]["partitionKeys"] == [BROKEN]
        targeted = {name: counts[0] for name, counts in backfill_counts(server, retry_id).items()}
        assert targeted == {"daily_bars": 1, "teacher_labels": 1, "teacher_model": 1}

        # The defective partition failed its coverage check, with the evidence attached.
        failed = coverage(server, f"{DEFECTIVE}|2023")
        assert failed["status"] == "FAILED"
        assert failed["evaluation"]["severity"] == "ERROR"
        evidence = entries(failed["evaluation"]["metadataEntries"])
        assert evidence["missing_count"] == len(MISSING_2023)
        assert evidence["first_missing_dates"] == MISSING_2023
        assert coverage(server, "TCS|2023")["status"] == "SUCCEEDED"

        # ...so no model was trained for it: not materialized, and its observation says why.
        models = asset(server, "teacher_model", [DEFECTIVE, "TCS"])
        trained_shown = {
            m["partition"]: entries(m["metadataEntries"])
            for m in models["latestMaterializationByPartition"]
            if m is not None
        }
        assert set(trained_shown) == {"TCS"}
        assert trained_shown["TCS"]["status"] == "trained"
        observed = server.query(MODEL_OBSERVATIONS, partitions=[DEFECTIVE])["assetNodeOrError"]
        [why_not] = [entries(o["metadataEntries"]) for o in observed["assetObservations"]]
        assert why_not["status"] == "gated"
        assert f"coverage_check failed for {DEFECTIVE}|2023" in why_not["reason"]
        with duckdb.connect(str(server.warehouse), read_only=True) as conn:
            [(universe_windows,)] = conn.execute(
                "SELECT count(*) FROM teacher_universe_runs WHERE status = 'trained'"
            ).fetchall()
        assert universe_windows > 0, "the sensor batch's universe model was not trained"
        assert not (server.models / DEFECTIVE).exists()
        assert (server.models / "TCS").is_dir()
        with duckdb.connect(str(server.warehouse), read_only=True) as conn:
            rows = conn.execute("SELECT DISTINCT symbol FROM teacher_runs").fetchall()
        trained = {symbol for (symbol,) in rows}
        assert DEFECTIVE not in trained and "TCS" in trained

        # What a person sees: the check's execution history lists the failed partition and why.
        check_page = f"{server.url}/assets/daily_bars?view=checks&checkDetail=coverage_check"
        with chromium_page(check_page, tmp_path / "chromium") as page:
            page.wait_for_text("Execution history")
            shown = page.click_until(
                "Execution history", f"{DEFECTIVE}|2023", "TCS|2023", "missing session(s)"
            )
        result, description = check_row(shown, f"{DEFECTIVE}|2023")
        assert result == "Failed"
        assert f"3 missing session(s) ({', '.join(MISSING_2023)})" in description
        assert check_row(shown, "TCS|2023")[0] == "Passed"

        # The model's partitions page counts the gated symbol out of the trained ones, and its
        # event, one click away, says why.
        model_page = f"{server.url}/assets/teacher_model?view=partitions"
        with chromium_page(model_page, tmp_path / "chromium") as page:
            page.wait_for_text("Materialized (3)", "Missing (2)", DEFECTIVE)
            shown = page.click_until("Events", DEFECTIVE)
            shown = page.click_until(DEFECTIVE, "gated", f"coverage_check failed for {DEFECTIVE}")
        assert f"Partition {DEFECTIVE} observed" in shown

        # The desk's alert log names the failed partition and why.
        alerts = (server.root / "alerts.log").read_text(encoding="utf-8")
        assert f"\tfailed\tasset=daily_bars\tpartition={BROKEN}\t" in alerts
        assert "duplicate symbol and date" in alerts

        # Freshness where a user looks for it (the bars' checks), and the automation sensor on
        # the Automation page, stopped unless SENSEQUANT_AUTOMATION=on.
        fresh_page = f"{server.url}/assets/daily_bars?view=checks&checkDetail=freshness_check"
        with chromium_page(fresh_page, tmp_path / "chromium") as page:
            shown = page.wait_for_text("freshness_check", "Execution history")
            shown = page.click_until("Execution history", "holds")
        assert "Fresh: " in shown or "Overdue: holds" in shown
        with chromium_page(f"{server.url}/automation", tmp_path / "chromium") as page:
            page.wait_for_text(
                "teacher_automation_sensor",
                "constituent_lists_sensor",
                "teacher_freshness_schedule",
            )
        dagster_home = str(server.root / "dagster_home")
        # Every run above was forked from the code server's preloaded process, which goes with it.
        assert run_forkservers(dagster_home)
    left = processes_with_home(dagster_home)
    assert not left, f"dagster dev left processes behind, pids {left}"
