"""The README's "Going live" section, followed against the Breeze stand-in with the real
breeze_connect client, webserver and daemon: the day's token stored with `sensequant
breeze-session`, a first start that takes up no list until one is put in (the sensor says so),
the list's backfill; then midnight: the token expires while the UI runs, the morning's runs fail
(one login, one alert), the operator stores the new token, and the next run succeeds, with no
restart.

The list's backfill is judged whole, as a user following the README sees it: completed with
every asset's partitions materialized (mappings, bars, labels, models, the universe model), no
check failed and no alert. Two product faults once failed it: the Breeze fetch asked for today's
candle before the close, so coverage_check failed the current year and gated every model (and
the universe model then had no labels to train on), and teacher_freshness_check read every bars
partition when no model existed yet and failed with a KeyError.
"""

import io
from pathlib import Path

import pytest

from sensequant_assets import cli
from sensequant_assets.cli import LOCATION, REPOSITORY
from sensequant_assets.defs.partitions import years_partitions
from sensequant_assets.defs.universe.sensors import constituent_lists_sensor
from sensequant_assets.universe.partitions import BATCH_TAG
from sensequant_assets_tests.support.dagster_dev import (
    DAEMON_BOUND,
    DagsterDev,
    all_finished,
    backfills,
    dagster_dev,
    wait_for,
)
from sensequant_assets_tests.support.graphql import backfill_counts, backfill_failures, coverage
from sensequant_assets_tests.support.standin_breeze import (
    API_KEY,
    API_SECRET,
    SESSION_TOKEN,
    StandinBreeze,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOMORROW = "SESSIONTOKEN-MARKER-NEXTDAY-77e1"
# Names without a corporate action in data/reference/corporate_actions.csv: the stand-in's
# candles carry none, so RELIANCE's 2024 bonus would read as a +100% jump in plausibility_check.
SYMBOLS = ["TCS", "INFY"]
YEAR = years_partitions.get_partition_keys()[-1]

TICKS = """
query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    ... on Sensor { sensorState { ticks(limit: 10) { status skipReason timestamp } } }
  }
}"""

LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}"""

RUN = """
query($id: ID!) {
  runOrError(runId: $id) { ... on Run { status endTime } }
}"""


def ticks(server: DagsterDev, sensor: str) -> list[dict]:
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
    found = server.query(TICKS, selector={**selector, "sensorName": sensor})
    return found["sensorOrError"]["sensorState"]["ticks"]


def refresh(server: DagsterDev, symbol: str) -> dict:
    """One evening-refresh run of `symbol`'s current year (bars_job, as the schedule launches
    it); its status and end once it ended."""
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "jobName": "bars_job",
        },
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": f"{symbol}|{YEAR}"}]},
    }
    launched = server.query(LAUNCH_RUN, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    def ended() -> dict | None:
        run = server.query(RUN, id=run_id)["runOrError"]
        return run if run["status"] in {"SUCCESS", "FAILURE", "CANCELED"} else None

    return wait_for(f"run {run_id}", ended, 180, server, poll_s=1)


def breeze_session(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{token}\n"))
    assert cli.main(["breeze-session"]) == 0


def alerts(server: DagsterDev) -> list[str]:
    log = server.root / "alerts.log"
    return log.read_text().splitlines() if log.exists() else []


def refusals(server: DagsterDev) -> list[str]:
    """The alert lines about the refused token."""
    return [line for line in alerts(server) if "refused" in line]


def logins(standin: StandinBreeze) -> int:
    return sum(call.endpoint == "customerdetails" for call in standin.calls)


@pytest.mark.xdist_group(DAEMON_BOUND)
def test_going_live_and_a_token_rotated_while_the_ui_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    standin = StandinBreeze.shared()
    standin.reset()
    live = {
        "SENSEQUANT_PROFILE": "live",
        "SENSEQUANT_SOURCE": "breeze",
        "SENSEQUANT_CREDENTIALS_DIR": str(tmp_path / "secrets"),
        "BREEZE_API_KEY": API_KEY,
        "BREEZE_API_SECRET": API_SECRET,
        "BREEZE_API_URL": standin.api_url,
        "BREEZE_HISTORICAL_URL": standin.historical_url,
        "BREEZE_SECURITY_MASTER_URL": standin.security_master_url,
    }
    for variable, value in live.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("BREEZE_SESSION_TOKEN", raising=False)  # the token file only

    breeze_session(monkeypatch, SESSION_TOKEN)  # step: today's token
    with dagster_dev(tmp_path, settings=live) as server:
        # A first live start chooses nothing: the sensor waits for a list, and says so.
        waiting = wait_for(
            "the list sensor's first tick",
            lambda: next(
                (
                    t["skipReason"]
                    for t in ticks(server, constituent_lists_sensor.name)
                    if t["skipReason"]
                ),
                None,
            ),
            120,
            server,
        )
        assert f"no constituent list in {server.constituents} yet" in waiting
        assert backfills(server) == []

        # Step: put a list in; the sensor launches its backfill.
        (server.constituents / "golive.txt").write_text("".join(f"{s}\n" for s in SYMBOLS))
        [launched] = wait_for(
            "the list's backfill",
            lambda: [
                b for b in backfills(server) if {"key": BATCH_TAG, "value": "golive"} in b["tags"]
            ],
            120,
            server,
        )
        statuses = wait_for(
            "the backfill", lambda: all_finished(server, [launched["id"]]), 480, server
        )
        failures = backfill_failures(server, launched["id"])
        assert (statuses[launched["id"]], failures) == ("COMPLETED_SUCCESS", "")
        years = years_partitions.get_partition_keys()
        by_symbol = (len(SYMBOLS),) * 2 + (0,)
        assert backfill_counts(server, launched["id"]) == {
            "symbol_mapping": by_symbol,
            "daily_bars": (len(SYMBOLS) * len(years),) * 2 + (0,),
            "teacher_labels": by_symbol,
            "teacher_model": by_symbol,
        }
        for symbol in SYMBOLS:  # the current year's too: no candle of a session still trading
            for year in years:
                check = coverage(server, f"{symbol}|{year}")
                assert check["status"] == "SUCCEEDED", (symbol, year, check["evaluation"])
        assert alerts(server) == [], "a clean first backfill alerts nobody"

        # Midnight IST: yesterday's token is refused. The morning's runs fail; one login tried.
        standin.rotate_session(TOMORROW)
        before = logins(standin)
        first, second = refresh(server, SYMBOLS[0]), refresh(server, SYMBOLS[1])
        assert (first["status"], second["status"]) == ("FAILURE", "FAILURE")
        assert logins(standin) == before + 1

        # One alert, however many runs failed on it, once the alerts sensor read both.
        wait_for(
            "an alerts-sensor tick after the second failure",
            lambda: any(
                t["timestamp"] > second["endTime"] and t["status"] in {"SUCCESS", "SKIPPED"}
                for t in ticks(server, "failure_alerts_sensor")
            ),
            120,
            server,
        )
        [alert] = refusals(server)
        assert "asset=daily_bars" in alert and "refused" in alert
        assert "sensequant breeze-session" in alert
        assert SESSION_TOKEN not in alert

        # Step: the operator stores today's token; the next run logs in with it, no restart.
        breeze_session(monkeypatch, TOMORROW)
        assert refresh(server, SYMBOLS[0])["status"] == "SUCCESS"
        assert len(refusals(server)) == 1
