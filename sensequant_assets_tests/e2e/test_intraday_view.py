"""What a person sees of an intraday backfill that met the daily call cap, through the real
webserver and daemon and a real browser: the intraday check grid per partition, and the budget
on the resume sensor's tick.

The backfill is launched as a user launches it (`sensequant intraday ... --launch`) on the
location bound to Breeze (the real breeze_connect client against the stand-in server, a cap of
20 calls): it meets the cap, the written partitions are checked by the follow-up sensor, and the
resume sensor's tick shows the budget.
"""

from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets import cli
from sensequant_assets.cli import LOCATION
from sensequant_assets.defs.ingestion.assets import symbol_mapping
from sensequant_assets.defs.intraday.sensors import intraday_resume_sensor
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.e2e import breeze_location
from sensequant_assets_tests.support.browser import chromium_page
from sensequant_assets_tests.support.dagster_dev import (
    DAEMON_BOUND,
    DagsterDev,
    dagster_dev,
    wait_for,
)
from sensequant_assets_tests.support.standin_breeze import (
    API_KEY,
    API_SECRET,
    SESSION_TOKEN,
    StandinBreeze,
    standin_source,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CAP = 20
SYMBOLS = ["RELIANCE", "BENCH011", "BENCH012", "BENCH013"]  # RELIANCE lacks 11:15-11:44 of 03-12
KEYS = [f"2024-03|{symbol}" for symbol in SYMBOLS]

CHECKS = """
query($partition: String!) {
  assetCheckExecutions(
    assetKey: {path: ["intraday_bars"]}, checkName: "intraday_sessions_check",
    partition: $partition, limit: 1
  ) { status evaluation { description } }
}"""

TICKS = """
query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    ... on Sensor { sensorState { ticks(limit: 5) { status skipReason } } }
  }
}"""


def map_symbols(server: DagsterDev, standin: StandinBreeze, monkeypatch) -> None:
    """The symbols as partitions with their mappings, in-process on the server's instance."""
    resources = {
        "warehouse": WarehouseResource(database=str(server.warehouse)),
        "bar_source": standin_source(standin, server.root / "cache", calls_per_day=CAP),
        "paths": ProjectPaths(),
    }
    with monkeypatch.context() as env:
        env.setenv("DAGSTER_HOME", str(server.root / "dagster_home"))
        with dg.DagsterInstance.get() as instance:
            instance.add_dynamic_partitions("symbols", SYMBOLS)
            mapped = dg.materialize(
                [symbol_mapping],
                instance=instance,
                resources=resources,
                tags=range_tags(SYMBOLS[0], SYMBOLS[-1]),
            )
            assert mapped.success


@pytest.mark.xdist_group(DAEMON_BOUND)
def test_the_intraday_grid_and_the_budget_as_a_user_sees_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    standin = StandinBreeze.shared()
    standin.reset()
    for variable, value in {
        "BREEZE_API_KEY": API_KEY,
        "BREEZE_API_SECRET": API_SECRET,
        "BREEZE_SESSION_TOKEN": SESSION_TOKEN,
        "BREEZE_API_URL": standin.api_url,
        "BREEZE_HISTORICAL_URL": standin.historical_url,
        "BREEZE_SECURITY_MASTER_URL": standin.security_master_url,
        "BREEZE_CALLS_PER_DAY": str(CAP),
        "BREEZE_DAILY_RESERVE": "0",
    }.items():
        monkeypatch.setenv(variable, value)
    with dagster_dev(tmp_path, module=breeze_location.__name__) as server:
        map_symbols(server, standin, monkeypatch)
        listed = tmp_path / "e2e_intraday.txt"
        listed.write_text("".join(f"{symbol}\n" for symbol in SYMBOLS))
        command = ["intraday", str(listed), "--from", "2024-03", "--to", "2024-03"]
        assert cli.main([*command, "--launch", "--url", server.url, "--wait"]) == 1
        plan = capsys.readouterr().out
        assert "4 symbols x 1 months at 1minute = 28 Breeze calls" in plan
        assert f"at {CAP} a day less 0 reserved" in plan

        # The paused run skipped its checks; written_intraday_checks_sensor's run checks the
        # partitions it wrote.
        def sessions(partition: str) -> dict | None:
            found = server.query(CHECKS, partition=partition)["assetCheckExecutions"]
            return found[0] if found and found[0]["status"] in {"SUCCEEDED", "FAILED"} else None

        reliance = wait_for("RELIANCE's check", lambda: sessions(KEYS[0]), 180, server)
        assert reliance["status"] == "FAILED"
        assert (
            "2024-03-12 lacks 30 of 375 candles, first missing 11:15"
            in (reliance["evaluation"]["description"])
        )
        assert sessions(KEYS[1])["status"] == "SUCCEEDED"

        selector = {
            "repositoryLocationName": LOCATION,
            "repositoryName": "__repository__",
            "sensorName": intraday_resume_sensor.name,
        }

        def budget_tick() -> str | None:
            state = server.query(TICKS, selector=selector)["sensorOrError"]["sensorState"]
            reasons = [t["skipReason"] or "" for t in state["ticks"]]
            return next((r for r in reasons if "2 intraday partition(s) paused" in r), None)

        reason = wait_for("a tick showing the paused partitions", budget_tick, 180, server)
        assert reason.startswith(f"Breeze budget: {CAP} of {CAP} calls used in the last 24 h")
        assert "0 left for intraday; intraday resumes at " in reason

        check_page = (
            f"{server.url}/assets/intraday_bars?view=checks&checkDetail=intraday_sessions_check"
        )
        with chromium_page(check_page, tmp_path / "chromium") as page:
            page.wait_for_text("Execution history")
            shown = page.click_until("Execution history", KEYS[0], KEYS[1], "first missing 11:15")
            assert "2024-03-12 lacks 30 of 375 candles, first missing 11:15" in shown
        sensor_page = f"{server.url}/locations/{LOCATION}/sensors/{intraday_resume_sensor.name}"
        with chromium_page(sensor_page, tmp_path / "chromium-sensor") as page:
            page.wait_for_text("0 runs requested")  # a tick's result; it opens the tick
            page.click_until("0 runs requested", "Skip reason: Breeze budget:", "left for intraday")
