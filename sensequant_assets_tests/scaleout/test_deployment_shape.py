"""The deployment shape on one machine (scaleout/deployment.py) runs a user's batch end to end.

The three services share nothing but the Postgres instance and the TCP workspace: the sensor
(in the daemon) must see a dropped list, the backfill daemon must launch its runs through the
code server, and the check grid must reach the webserver, as in the `dagster dev` end-to-end test.
"""

from pathlib import Path

import pytest

from sensequant_assets.cli import LOCATION
from sensequant_assets.defs.partitions import years_partitions
from sensequant_assets.universe.partitions import BATCH_TAG
from sensequant_assets_tests.support.browser import chromium_page
from sensequant_assets_tests.support.dagster_dev import (
    DAEMON_BOUND,
    all_finished,
    backfills,
    wait_for,
)
from sensequant_assets_tests.support.deployment import deployed
from sensequant_assets_tests.support.graphql import backfill_counts, check_row, coverage

WORKSPACE = """
query {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        locationOrLoadError { __typename ... on RepositoryLocation { repositories { name } } }
      }
    }
  }
}"""

DAEMONS = """
query { instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }"""

SYMBOLS = ["TCS", "INFY"]


@pytest.mark.slow
@pytest.mark.xdist_group(DAEMON_BOUND)
def test_dropped_list_is_backfilled_through_code_server_webserver_and_daemon_on_postgres(
    tmp_path: Path, postgres_env: dict[str, str]
) -> None:
    years = years_partitions.get_partition_keys()
    with deployed(tmp_path, postgres_env) as server:
        result = server.query(WORKSPACE)["workspaceOrError"]
        [entry] = result["locationEntries"]
        loaded = entry["locationOrLoadError"]
        assert entry["name"] == LOCATION and loaded["__typename"] == "RepositoryLocation", loaded
        assert loaded["repositories"]

        # The daemon's heartbeats reach the webserver only through the shared Postgres instance.
        def healthy() -> set[str]:
            statuses = server.query(DAEMONS)["instance"]["daemonHealth"]["allDaemonStatuses"]
            return {s["daemonType"] for s in statuses if s["healthy"]}

        up = wait_for("daemon heartbeats", healthy, 90, server)
        assert {"SENSOR", "QUEUED_RUN_COORDINATOR", "BACKFILL"} <= up, up

        (server.constituents / "deployed.txt").write_text("".join(f"{s}\n" for s in SYMBOLS))
        [launched] = wait_for(
            "the sensor's backfill",
            lambda: [
                b for b in backfills(server) if {"key": BATCH_TAG, "value": "deployed"} in b["tags"]
            ],
            timeout_s=180,
            server=server,
        )
        statuses = wait_for(
            "the backfill to finish",
            lambda: all_finished(server, [launched["id"]]),
            timeout_s=540,
            server=server,
        )
        assert statuses == {launched["id"]: "COMPLETED_SUCCESS"}
        counts = backfill_counts(server, launched["id"])
        bars = len(SYMBOLS) * len(years)
        assert counts["daily_bars"] == (bars, bars, 0), counts
        assert counts["teacher_model"] == (len(SYMBOLS), len(SYMBOLS), 0), counts

        # The check grid: every partition's coverage check evaluated and passed, as a person
        # reads it on the check's page.
        keys = [f"{symbol}|{year}" for symbol in SYMBOLS for year in years]
        assert {key: coverage(server, key)["status"] for key in keys} == dict.fromkeys(
            keys, "SUCCEEDED"
        )
        check_page = f"{server.url}/assets/daily_bars?view=checks&checkDetail=coverage_check"
        with chromium_page(check_page, tmp_path / "chromium") as page:
            page.wait_for_text("Execution history")
            shown = page.click_until("Execution history", *keys[-2:])
        for key in keys[-2:]:
            assert check_row(shown, key)[0] == "Passed", key
