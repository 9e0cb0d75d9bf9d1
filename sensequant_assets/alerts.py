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
from typing import Annotated, NamedTuple
from urllib.parse import urlsplit

import dagster as dg
from pydantic import AfterValidator, ConfigDict, Field

from sensequant_assets.paths import DATA_DIR
from sensequant_assets.secrets import redact_url, scrub, url_secrets
from sensequant_assets.settings import WHEN_RESOLVED

WEBHOOK_TIMEOUT_SECONDS = 10
WEBHOOK_VARIABLE = "SENSEQUANT_ALERTS_WEBHOOK"


class Alert(NamedTuple):
    """One line of the alerts log: the asset (or step, or "(run)"), its partitions, why."""

    asset: str
    partition: str
    reason: str


def checked_webhook(url: str) -> str:
    """An http(s) URL with a host, or empty (no webhook): anything else is refused when the
    resource is built, not at the first alert, where it would fail the sensor's tick. The
    error shows the URL only as `scheme://host/…`: its path is usually the credential."""
    if not url:
        return url
    parts = urlsplit(url)
    try:
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is no number
        usable = False
    if not usable or url != url.strip():
        raise ValueError(
            f"{WEBHOOK_VARIABLE} must be an http:// or https:// URL with a host, such as "
            f"https://hooks.example.com/…; it holds {redact_url(url)} (shown without its path). "
            f"Fix the URL, or unset {WEBHOOK_VARIABLE} to write the alerts log only."
        )
    return url


WebhookUrl = Annotated[str, AfterValidator(checked_webhook), WHEN_RESOLVED]


class AlertsResource(dg.ConfigurableResource):
    """The alerts log file and, optionally, a webhook that receives each line as JSON."""

    # A refused value is never quoted back: the webhook URL and the password are secrets.
    model_config = ConfigDict(hide_input_in_errors=True)

    log_file: str = Field(
        default=str(DATA_DIR / "alerts.log"),
        description="File that gets one line per failed run, failed partition or overdue asset.",
    )
    webhook_url: WebhookUrl = Field(
        default="",
        repr=False,
        description=(
            "http(s) URL that receives each alert as a JSON POST; empty: the log file only. "
            "Never shown whole: its path is the credential of most chat webhooks."
        ),
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
            except Exception as error:  # whatever delivery raises, the line and the tick stay
                shown = redact_url(self.webhook_url)
                detail = " ".join(scrub(str(error), url_secrets(self.webhook_url)).split())
                self._append(f"{when}\twebhook_failed\turl={shown}\terror={detail}")
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
