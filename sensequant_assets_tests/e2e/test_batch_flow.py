"""A user's batch flow through the real webserver and daemon, then through a real browser.

A list dropped into the watched folder becomes partitions and a backfill (the sensor); another
list is backfilled from the command line (GraphQL). Both must finish with every partition
materialized; TATASTEEL (three sessions missing in 2023 in the synthetic scenario) must show a
failed coverage check with its evidence, in GraphQL and on the page a person reads, and no model.
"""

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sensequant_assets import cli
from sensequant_assets.defs.partitions import years_partitions
from sensequant_assets.universe.partitions import BATCH_TAG
from sensequant_assets_tests.e2e.browser import chromium_page
from sensequant_assets_tests.e2e.server import (
    DagsterDev,
    all_finished,
    backfills,
    dagster_dev,
    processes_with_home,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DEFECTIVE = "TATASTEEL"
SENSOR_LIST = f"{DEFECTIVE}\nTCS\nBAD|LINE\n"
CLI_LIST = "RELIANCE\nINFY\n"
SYMBOLS = {DEFECTIVE, "TCS", "RELIANCE", "INFY"}
MISSING_2023 = ["2023-03-15", "2023-06-07", "2023-10-11"]

ASSET = """
query($path: [String!]!, $partitions: [String!]) {
  assetNodeOrError(assetKey: {path: $path}) {
    ... on AssetNode {
      partitionKeys
      partitionStats { numMaterialized numPartitions numFailed }
      latestMaterializationByPartition(partitions: $partitions) {
        partition
        metadataEntries { label ... on TextMetadataEntry { text } }
      }
    }
  }
}"""

CHECK = """
query($partition: String!) {
  assetCheckExecutions(
    assetKey: {path: ["daily_bars"]}, checkName: "coverage_check", partition: $partition, limit: 1
  ) {
    status
    evaluation {
      severity
      description
      metadataEntries {
        label
        ... on IntMetadataEntry { intValue }
        ... on JsonMetadataEntry { jsonString }
        ... on TextMetadataEntry { text }
      }
    }
  }
}"""


def asset(server: DagsterDev, name: str, partitions: list[str] | None = None) -> dict[str, Any]:
    return server.query(ASSET, path=[name], partitions=partitions)["assetNodeOrError"]


def coverage(server: DagsterDev, partition: str) -> dict[str, Any]:
    executions = server.query(CHECK, partition=partition)["assetCheckExecutions"]
    assert executions, f"no coverage_check result for daily_bars[{partition}]"
    return executions[0]


def entries(metadata: list[dict[str, Any]]) -> dict[str, Any]:
    values = {}
    for entry in metadata:
        value = next((v for k, v in entry.items() if k != "label"), None)
        values[entry["label"]] = json.loads(value) if "jsonString" in entry else value
    return values


def check_row(page_text: str, partition: str) -> tuple[str, str]:
    """(result, description) of `partition`'s row in a check's execution history as shown."""
    lines = [line.strip() for line in page_text.splitlines() if line.strip()]
    at = lines.index(partition)
    result = next(line for line in reversed(lines[:at]) if line in {"Passed", "Failed"})
    return result, lines[at + 1]


def test_dropped_list_and_cli_batch_end_to_end(tmp_path: Path) -> None:
    years = years_partitions.get_partition_keys()
    with dagster_dev(tmp_path) as server:
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
        assert set(statuses.values()) == {"COMPLETED_SUCCESS"}, statuses

        bars = asset(server, "daily_bars")["partitionStats"]
        assert bars["numMaterialized"] == bars["numPartitions"] == len(SYMBOLS) * len(years)
        for name in ("symbol_mapping", "teacher_labels", "teacher_model"):
            stats = asset(server, name)["partitionStats"]
            assert stats["numMaterialized"] == len(SYMBOLS), (name, stats)

        # The defective partition failed its coverage check, with the evidence attached.
        failed = coverage(server, f"{DEFECTIVE}|2023")
        assert failed["status"] == "FAILED"
        assert failed["evaluation"]["severity"] == "ERROR"
        evidence = entries(failed["evaluation"]["metadataEntries"])
        assert evidence["missing_count"] == len(MISSING_2023)
        assert evidence["first_missing_dates"] == MISSING_2023
        assert coverage(server, "TCS|2023")["status"] == "SUCCEEDED"

        # ...so no model was trained for it, and its partition says why.
        models = asset(server, "teacher_model", [DEFECTIVE, "TCS"])
        outcome = {
            m["partition"]: entries(m["metadataEntries"])
            for m in models["latestMaterializationByPartition"]
        }
        assert outcome[DEFECTIVE]["status"] == "gated"
        assert outcome["TCS"]["status"] == "trained"
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
        dagster_home = str(server.root / "dagster_home")
    left = processes_with_home(dagster_home)
    assert not left, f"dagster dev left processes behind, pids {left}"
