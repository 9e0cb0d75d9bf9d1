"""Headless Chromium driven over the DevTools protocol: what a person sees after clicking.

The Dagster UI keeps tabs such as a check's "Partitions" in component state, not in the URL, so a
`--dump-dom` cannot reach them; this opens the page, clicks like a user and reads the text.
`websockets` is a declared test dependency (it also ships with dagster-webserver).
"""

import itertools
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

READY_TIMEOUT_S = 90  # a cold Chromium parsing the UI's bundle on a busy 2-core runner


class Page:
    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []  # from domains a caller enabled (`Network.enable`)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        self._socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self._socket.recv(timeout=60))
            if "method" in reply:  # an event, not a reply: kept for `events`
                self._events.append(reply)
            elif reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def events(self, within_s: float) -> list[dict[str, Any]]:
        """The events that arrived since the last call, and those arriving within `within_s`:
        a caller watching the network (`Network.requestWillBeSent`, `Network.loadingFinished`)
        polls with this. Only domains a caller enabled send events."""
        deadline = time.monotonic() + within_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = json.loads(self._socket.recv(timeout=left))
            except TimeoutError:
                break
            if "method" in message:  # a reply to nobody's pending call is dropped, as in `call`
                self._events.append(message)
        events, self._events = self._events, []
        return events

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def wait_for_text(self, *wanted: str, timeout_s: float = READY_TIMEOUT_S) -> str:
        """The page's text once every one of `wanted` is on it (rows may render one by one)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(w in (text := self.text()) for w in wanted):
                return text
            time.sleep(0.5)
        raise TimeoutError(f"{wanted!r} never all appeared; the page showed:\n{self.text()[:3000]}")

    def click_until(self, label: str, *wanted: str, timeout_s: float = READY_TIMEOUT_S) -> str:
        """Click `label` until every one of `wanted` shows: a click that lands before the page
        has wired its handlers does nothing, and a person would simply click again."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.click_text(label)
            try:
                return self.wait_for_text(*wanted, timeout_s=min(10.0, deadline - time.monotonic()))
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise

    def click_text(self, label: str) -> None:
        """Click the innermost visible element whose own text is exactly `label`."""
        clicked = self.evaluate(
            "(() => { const els = [...document.querySelectorAll('button, a, span, div')]"
            f".filter(e => e.innerText && e.innerText.trim() === {json.dumps(label)});"
            " const el = els[els.length - 1]; if (!el) return false; el.click(); return true; })()"
        )
        if not clicked:
            raise AssertionError(f"nothing labelled {label!r} to click:\n{self.text()[:3000]}")


@contextmanager
def chromium_page(url: str, profile: Path) -> Iterator[Page]:
    """Open `url` in headless Chromium; the browser is ended when the block exits."""
    binary = shutil.which("chromium")
    if binary is None:
        raise RuntimeError("chromium is missing: `make browser` installs Debian's package")
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "DevToolsActivePort").unlink(missing_ok=True)  # a stale one names a dead port
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        "about:blank",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port = _devtools_port(profile / "DevToolsActivePort")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as reply:
            target = next(t for t in json.load(reply) if t["type"] == "page")
        with connect(target["webSocketDebuggerUrl"], max_size=None) as socket:
            page = Page(socket)
            page.call("Page.navigate", url=url)
            yield page
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _devtools_port(active_port_file: Path) -> int:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if active_port_file.exists() and (lines := active_port_file.read_text().split()):
            return int(lines[0])
        time.sleep(0.2)
    raise TimeoutError(f"chromium never wrote {active_port_file}")
