"""What the UI shows, read through the webserver's GraphQL API: shared by the end-to-end tests."""

import json
from typing import Any

from sensequant_assets_tests.support.dagster_dev import DagsterDev

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

CHECK_GRID = """
query {
  assetNodeOrError(assetKey: {path: ["daily_bars"]}) {
    ... on AssetNode {
      assetChecksOrError {
        ... on AssetChecks {
          checks {
            name
            partitionStatuses {
              ... on AssetCheckMultiPartitionStatuses {
                ranges {
                  primaryDimStartKey
                  primaryDimEndKey
                  secondaryDim {
                    ... on AssetCheckDefaultPartitionStatuses {
                      succeededPartitions
                      failedPartitions
                      inProgressPartitions
                      skippedPartitions
                      executionFailedPartitions
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}"""

GRID_STATUSES = {
    "succeededPartitions": "SUCCEEDED",
    "failedPartitions": "FAILED",
    "inProgressPartitions": "IN_PROGRESS",
    "skippedPartitions": "SKIPPED",
    "executionFailedPartitions": "EXECUTION_FAILED",
}

BACKFILL = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill {
      assetBackfillData {
        assetBackfillStatuses {
          ... on AssetPartitionsStatusCounts {
            assetKey { path }
            numPartitionsTargeted
            numPartitionsMaterialized
            numPartitionsFailed
          }
          ... on UnpartitionedAssetStatus { assetKey { path } failed }
        }
      }
      partitionsTargetedForAssetKey(assetKey: {path: ["daily_bars"]}) { partitionKeys }
    }
  }
}"""


def coverage(server: DagsterDev, partition: str) -> dict[str, Any]:
    executions = server.query(CHECK, partition=partition)["assetCheckExecutions"]
    assert executions, f"no coverage_check result for daily_bars[{partition}]"
    return executions[0]


def check_grid(server: DagsterDev, check: str, years: list[str]) -> dict[str, set[str]]:
    """The `SYMBOL|YEAR` partitions of one daily_bars check by status, as the check's partition
    grid draws them (`partitionStatuses`: ranges of years, each with its symbols by status)."""
    node = server.query(CHECK_GRID)["assetNodeOrError"]
    [found] = [c for c in node["assetChecksOrError"]["checks"] if c["name"] == check]
    grid: dict[str, set[str]] = {status: set() for status in GRID_STATUSES.values()}
    for span in found["partitionStatuses"]["ranges"]:
        first, last = years.index(span["primaryDimStartKey"]), years.index(span["primaryDimEndKey"])
        for field, status in GRID_STATUSES.items():
            grid[status] |= {
                f"{symbol}|{year}"
                for year in years[first : last + 1]
                for symbol in span["secondaryDim"][field]
            }
    return grid


def backfill_counts(server: DagsterDev, backfill_id: str) -> dict[str, tuple[int, int, int]]:
    """(targeted, materialized, failed) per partitioned asset, as the backfill page shows them."""
    data = server.query(BACKFILL, id=backfill_id)["partitionBackfillOrError"]
    return {
        status["assetKey"]["path"][-1]: (
            status["numPartitionsTargeted"],
            status["numPartitionsMaterialized"],
            status["numPartitionsFailed"],
        )
        for status in data["assetBackfillData"]["assetBackfillStatuses"]
        if "numPartitionsTargeted" in status
    }


def backfill_failures(server: DagsterDev, backfill_id: str) -> str:
    """Each asset with failed partitions, as `asset: failed/targeted` (an unpartitioned one as
    `asset: failed`), as the backfill page lists them; empty when none failed."""
    data = server.query(BACKFILL, id=backfill_id)["partitionBackfillOrError"]
    failed = []
    for status in data["assetBackfillData"]["assetBackfillStatuses"]:
        asset = status["assetKey"]["path"][-1]
        if status.get("numPartitionsFailed"):
            failed.append(
                f"{asset}: {status['numPartitionsFailed']}/{status['numPartitionsTargeted']}"
            )
        elif status.get("failed"):
            failed.append(f"{asset}: failed")
    return "; ".join(failed)


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
