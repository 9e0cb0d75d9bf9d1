"""Where a desk learns that something is late or failed: one line per event in a log file it
watches, and the same line POSTed to a webhook where one is configured.

A resource, so every sensor and check of a deployment writes to the same place
(`SENSEQUANT_ALERTS_LOG`, `SENSEQUANT_ALERTS_WEBHOOK`, bound in `defs/resources.py`). A webhook
that cannot be reached never hides the event: the line is written first, and the delivery
failure is written after it.
"""

import datetime as dt
import json
import urllib.request
from pathlib import Path

import dagster as dg
from pydantic import Field

from sensequant_assets.paths import DATA_DIR

WEBHOOK_TIMEOUT_SECONDS = 10


class AlertsResource(dg.ConfigurableResource):
    """The alerts log file and, optionally, a webhook that receives each line as JSON."""

    log_file: str = Field(
        default=str(DATA_DIR / "alerts.log"),
        description="File that gets one line per failed run, failed partition or overdue asset.",
    )
    webhook_url: str = Field(
        default="",
        description="URL that receives each alert as a JSON POST; empty: the log file only.",
    )

    def send(self, kind: str, asset: str, partition: str, reason: str) -> str:
        """Append one line naming the asset, partition and reason; POST it where configured."""
        when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        reason = " ".join(reason.split())  # one event, one line
        line = f"{when}\t{kind}\tasset={asset}\tpartition={partition or '-'}\treason={reason}"
        self._append(line)
        if self.webhook_url:
            body = {"kind": kind, "asset": asset, "partition": partition, "reason": reason}
            try:
                self._post(body)
            except OSError as error:
                self._append(f"{when}\twebhook_failed\turl={self.webhook_url}\terror={error}")
        return line

    def _append(self, line: str) -> None:
        path = Path(self.log_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(line + "\n")

    def _post(self, body: dict[str, str]) -> None:
        request = urllib.request.Request(
            self.webhook_url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as answer:
            answer.read()
