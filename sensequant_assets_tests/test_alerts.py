"""The alerts resource: one line per event in the log, the same event POSTed to a webhook where
one is configured (a local receiver here), and an unreachable webhook never loses the line."""

import socket
from pathlib import Path

from sensequant_assets.alerts import AlertsResource
from sensequant_assets_tests.receiver import webhook_receiver


def test_one_line_per_event_in_the_log_and_on_the_webhook(tmp_path: Path) -> None:
    log = tmp_path / "desk" / "alerts.log"
    with webhook_receiver() as (url, received):
        alerts = AlertsResource(log_file=str(log), webhook_url=url)
        alerts.send("failed", "daily_bars", "INFY|2025", "source error\nsecond line")
        alerts.send("overdue", "daily_bars", "", "lacks 2025-07-03")
    lines = log.read_text().splitlines()
    assert len(lines) == 2
    assert lines[0].split("\t")[1:] == [
        "failed",
        "asset=daily_bars",
        "partition=INFY|2025",
        "reason=source error second line",
    ]
    assert "partition=-" in lines[1]
    assert received == [
        {
            "kind": "failed",
            "asset": "daily_bars",
            "partition": "INFY|2025",
            "reason": "source error second line",
        },
        {"kind": "overdue", "asset": "daily_bars", "partition": "", "reason": "lacks 2025-07-03"},
    ]


def test_an_unreachable_webhook_keeps_the_line_and_says_so(tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed once the block ends: nothing listens there
    log = tmp_path / "alerts.log"
    alerts = AlertsResource(log_file=str(log), webhook_url=f"http://127.0.0.1:{port}/")
    alerts.send("failed", "teacher_model", "TCS", "window 3 failed")
    first, second = log.read_text().splitlines()
    assert "asset=teacher_model\tpartition=TCS\treason=window 3 failed" in first
    assert "\twebhook_failed\t" in second


def test_without_a_webhook_only_the_log_is_written(tmp_path: Path) -> None:
    log = tmp_path / "alerts.log"
    AlertsResource(log_file=str(log)).send("failed", "daily_bars", "X|2025", "boom")
    assert len(log.read_text().splitlines()) == 1
