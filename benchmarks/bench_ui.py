"""How long the Dagster UI's pages wait on their GraphQL queries, on an instance of a given size.

Each page opens in real headless Chromium (`sensequant_assets_tests/e2e/browser.py`) with the
DevTools Network domain on; every POST to /graphql is recorded by its operation name, the time
from request sent to response finished, and the response's size on the wire, until the page has
settled (no /graphql request in flight for QUIET_S, bounded by SETTLE_BOUND_S; the UI's periodic
refreshes, repeats of a query already answered, are left out). That browser figure is what a
person waits for, webserver work (request parsing, serialisation, the event loop shared with
every other request) included, and it is noisy on a busy machine. So each captured operation is
then replayed, same query text and variables, straight to /graphql REPLAYS times and the median
kept: the query's own cost, comparable between runs and instance sizes.

Per page: the slowest query (name, browser ms, replay median ms), the time until settled (from
the navigation, or the click, to the last /graphql response, summed), and whether every query
answered within SLOW_MS in the browser. A page that fails is a record with `error` naming it.
The first page is a first visit (empty browser cache: the UI's bundle and its workspace queries);
the others reuse that cache, as a returning user's browser does.

`ui_page_times(url, profile_dir)` measures a running webserver (the lead calls it at the end of a
large backfill); `python -m benchmarks.bench_ui --url URL` prints the same as JSON, and
`--symbols N` first builds a throw-away instance with an N-symbol 2022-2024 backfill.

`check_state_pages` measures the pages that draw daily_bars' checks on an instance holding
NIFTY 500 x 10 years of check results (three checks a partition, written as Dagster stores them,
without running the graph), served once with Dagster's own sqlite event log and once with the
project's (`CheckStateSqliteEventLogStorage`): the same instance and machine, minutes apart.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchmarks.bench_backfill import History, backfill_on, instance, universe
from sensequant_assets.paths import REPO_ROOT
from sensequant_assets_tests.support.browser import Page, chromium_page
from sensequant_assets_tests.support.dagster_dev import dagster_dev, environment

QUIET_S = 2.0  # no /graphql request in flight this long: the page has settled
SETTLE_BOUND_S = 180.0  # a page still querying after this is recorded as not settled
START_BOUND_S = 90.0  # a cold Chromium parsing the UI's bundle on a busy 2-core machine
REPLAYS = 3
REPLAY_TIMEOUT_S = 300
SLOW_MS = 2000.0
POLL_S = 0.1


@dataclass(frozen=True)
class UiPage:
    """A page as a user reaches it: a URL, then perhaps a tab kept in component state (not in
    the URL), clicked once the page has settled; `shows` is a CSS selector that matches only
    once that tab is open."""

    name: str
    path: str
    click: str = ""
    shows: str = ""


PAGES = (
    # A first visit fetches the UI's bundle and the workspace (LocationWorkspaceQuery,
    # LocationWorkspaceAssetsQuery); the UI keeps the workspace in IndexedDB, so later pages
    # (the same browser profile) only ask whether it changed.
    UiPage("asset graph, first visit", "/asset-groups"),
    UiPage("daily_bars overview", "/assets/daily_bars"),
    UiPage("daily_bars partitions", "/assets/daily_bars?view=partitions"),
    UiPage("daily_bars checks", "/assets/daily_bars?view=checks"),
    # The check's per-partition grid: its "Partitions" tab, after the asset's own tab of that
    # name in the page, so the last element labelled so.
    UiPage(
        "coverage_check partitions",
        "/assets/daily_bars?view=checks&checkDetail=coverage_check",
        click="Partitions",
        shows='input[placeholder^="Filter by symbol"]',
    ),
    UiPage("teacher_model overview", "/assets/teacher_model"),
    UiPage("teacher_model partitions", "/assets/teacher_model?view=partitions"),
    UiPage("daily_bars lineage", "/assets/daily_bars?view=lineage"),
    # Every symbol x year of the batch in one table (its metadata): the page a desk reads at
    # this size where the check grid's summaries are slow.
    UiPage("coverage_report overview", "/assets/coverage_report"),
    UiPage("asset graph", "/asset-groups"),
    UiPage("runs", "/runs"),
)


@dataclass(frozen=True)
class QueryTiming:
    operation: str
    browser_ms: float  # request sent to response finished, in Chromium
    response_bytes: int  # as Chromium received it: headers and (compressed) body
    replay_ms: float = 0.0  # median of REPLAYS direct POSTs of the same body
    replay_bytes: int = 0  # the replayed response's body
    error: str = ""  # failed in the browser or on replay (HTTP error, GraphQL errors)


@dataclass(frozen=True)
class PageTiming:
    page: str
    url: str
    settled_ms: float = (
        0.0  # navigation (and click) to the last /graphql response, summed (±POLL_S)
    )
    settled: bool = False  # False: still querying at SETTLE_BOUND_S
    slowest: str = ""
    slowest_browser_ms: float = 0.0
    slowest_replay_ms: float = 0.0
    all_under_2s: bool = False  # every query answered within SLOW_MS in the browser
    queries: list[QueryTiming] = field(default_factory=list)
    repeats: dict[str, int] = field(default_factory=dict)  # re-sent after an answer, by operation
    error: str = ""


@dataclass
class _Request:
    body: bytes
    operation: str
    sent: float  # DevTools timestamp, seconds
    status: int = 0
    timing: QueryTiming | None = None


class _GraphqlWatch:
    """The page's /graphql POSTs, from Network events, as they start and finish."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: dict[str, _Request] = {}
        self.repeats: Counter[str] = Counter()

    @property
    def in_flight(self) -> int:
        return sum(1 for r in self.requests.values() if r.timing is None)

    def take(self, event: dict[str, Any]) -> bool:
        """Record one event; True when it concerned a /graphql request the page loads with.

        A body already answered is the page's periodic refresh (every 5 to 15 s) or a component
        asking again: counted in `repeats`, neither timed nor waited for, so a page whose
        queries outlast its refresh interval still settles."""
        params = event.get("params", {})
        request_id = params.get("requestId", "")
        if event["method"] == "Network.requestWillBeSent":
            request = params["request"]
            if request["method"] != "POST" or "/graphql" not in request["url"]:
                return False
            body = self._body(request_id, request)
            if any(r.body == body and r.timing is not None for r in self.requests.values()):
                self.repeats[operation_name(body)] += 1
                return False
            self.requests[request_id] = _Request(body, operation_name(body), params["timestamp"])
            return True
        if (watched := self.requests.get(request_id)) is None:
            return False
        if event["method"] == "Network.responseReceived":
            watched.status = params["response"]["status"]
        elif event["method"] == "Network.loadingFinished":
            error = f"HTTP {watched.status}" if watched.status != 200 else ""
            watched.timing = QueryTiming(
                watched.operation,
                round((params["timestamp"] - watched.sent) * 1000, 1),
                int(params["encodedDataLength"]),
                error=error,
            )
        elif event["method"] == "Network.loadingFailed":
            watched.timing = QueryTiming(
                watched.operation,
                round((params["timestamp"] - watched.sent) * 1000, 1),
                0,
                error=f"failed in the browser: {params.get('errorText', '')}",
            )
        return True

    def _body(self, request_id: str, request: dict[str, Any]) -> bytes:
        if "postData" in request:
            return request["postData"].encode()
        # Chromium leaves out bodies over Network.enable's maxPostDataSize; ask for it.
        return self.page.call("Network.getRequestPostData", requestId=request_id)[
            "postData"
        ].encode()

    def settle(self, started: float, need_request: bool) -> tuple[float, bool]:
        """Read events until no /graphql request has been in flight for QUIET_S; the seconds from
        `started` (time.monotonic) to the last /graphql response, and whether it settled."""
        last = started
        seen = not need_request
        while True:
            now = time.monotonic()
            if seen and not self.in_flight and now - last >= QUIET_S:
                return last - started, True
            if not seen and now - started >= START_BOUND_S:
                raise TimeoutError(f"no /graphql request within {START_BOUND_S:.0f} s")
            if now - started >= SETTLE_BOUND_S:
                return last - started, False
            for event in self.page.events(POLL_S):
                if self.take(event):
                    last, seen = time.monotonic(), True


def operation_name(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except ValueError:
        return "(body not JSON)"
    return (payload.get("operationName") if isinstance(payload, dict) else None) or "(anonymous)"


def replay(url: str, body: bytes) -> tuple[float, int, str]:
    """(median ms, response bytes, error) of REPLAYS direct POSTs of `body` to /graphql."""
    times, size, error = [], 0, ""
    for _ in range(REPLAYS):
        request = urllib.request.Request(
            f"{url.rstrip('/')}/graphql",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=REPLAY_TIMEOUT_S) as response:
                answer = response.read()
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            return 0.0, 0, f"replay: {exc}"
        times.append((time.perf_counter() - started) * 1000)
        size = len(answer)
        try:
            errors = json.loads(answer).get("errors")
        except ValueError:
            errors = "response not JSON"
        if errors:
            error = f"replay answered errors: {str(errors)[:300]}"
    return round(statistics.median(times), 1), size, error


def measure_page(url: str, ui_page: UiPage, profile_dir: Path) -> PageTiming:
    """One page in a fresh headless Chromium sharing `profile_dir`'s cache (the UI's bundle
    is then loaded as a returning user loads it)."""
    address = f"{url.rstrip('/')}{ui_page.path}"
    with chromium_page("about:blank", profile_dir) as page:
        page.call("Network.enable", maxPostDataSize=16 * 2**20)
        watch = _GraphqlWatch(page)
        started = time.monotonic()
        page.call("Page.navigate", url=address)
        settled_s, settled = watch.settle(started, need_request=True)
        if ui_page.click and settled:
            clicked = time.monotonic()
            page.click_text(ui_page.click)
            more_s, settled = watch.settle(clicked, need_request=False)
            settled_s += more_s
            opened(page, ui_page, address)
    unfinished = [r.operation for r in watch.requests.values() if r.timing is None]
    replays: dict[bytes, tuple[float, int, str]] = {}
    queries = []
    for request in watch.requests.values():
        if request.timing is None:
            continue
        if request.body not in replays:
            replays[request.body] = replay(url, request.body)
        replay_ms, replay_bytes, replay_error = replays[request.body]
        error = "; ".join(e for e in (request.timing.error, replay_error) if e)
        queries.append(
            QueryTiming(
                request.timing.operation,
                request.timing.browser_ms,
                request.timing.response_bytes,
                replay_ms,
                replay_bytes,
                error,
            )
        )
    slowest = max(queries, key=lambda q: q.browser_ms, default=None)
    return PageTiming(
        ui_page.name,
        address,
        round(settled_s * 1000, 1),
        settled,
        slowest.operation if slowest else "",
        slowest.browser_ms if slowest else 0.0,
        slowest.replay_ms if slowest else 0.0,
        bool(queries) and not unfinished and all(q.browser_ms < SLOW_MS for q in queries),
        queries,
        dict(watch.repeats),
        f"still in flight when measured: {', '.join(unfinished)}" if unfinished else "",
    )


def opened(page: Page, ui_page: UiPage, address: str) -> None:
    """Fail unless the click opened the tab in place: the same URL, and `shows` matches."""
    where = page.evaluate("location.href")
    if where != address:
        raise RuntimeError(f"clicking {ui_page.click!r} left the page for {where}")
    if ui_page.shows and not page.evaluate(
        f"!!document.querySelector({json.dumps(ui_page.shows)})"
    ):
        raise RuntimeError(f"clicking {ui_page.click!r} did not show {ui_page.shows}")


def ui_page_times(url: str, profile_dir: Path, pages: Sequence[UiPage] = PAGES) -> list[PageTiming]:
    """Every page of `pages` on the webserver at `url`; one record each, an error naming the
    page where it could not be measured. Chromium's profile lives in a new folder under
    `profile_dir`: the first page is a first visit (empty cache), the others reuse its cache."""
    if unreachable := _unreachable(url):
        return [
            PageTiming(p.name, f"{url.rstrip('/')}{p.path}", error=f"{p.name}: {unreachable}")
            for p in pages
        ]
    timings = []
    with tempfile.TemporaryDirectory(prefix="chromium-", dir=profile_dir) as profile:
        for ui_page in pages:
            try:
                timings.append(measure_page(url, ui_page, Path(profile)))
            except Exception as exc:  # one page's failure is its record; the others still measure
                address = f"{url.rstrip('/')}{ui_page.path}"
                message = f"{ui_page.name} ({address}): {type(exc).__name__}: {exc}"
                timings.append(PageTiming(ui_page.name, address, error=message[:2000]))
    return timings


CHECK_STATE_PAGES = (
    "asset graph, first visit",
    "daily_bars overview",
    "daily_bars partitions",
    "daily_bars checks",
    "coverage_check partitions",
)
"""The first visit (the UI's bundle into the browser's cache), then every page that reads the
state of daily_bars' checks."""

CHECKS = ("coverage_check", "integrity_check", "plausibility_check")
FAILING_EVERY = 7  # one coverage_check in seven fails, so the grid holds two statuses


def seed_check_results(home: Path, symbols: Sequence[str], years: Sequence[str]) -> int:
    """Each symbol x year of daily_bars materialized, then checked by each of `CHECKS` against
    that materialization, as Dagster stores a batched run's results (runless events: no run
    needs to execute); returns the check results written."""
    import dagster as dg

    from sensequant_assets.dagster_internals import latest_materializations

    bars = dg.AssetKey("daily_bars")
    keys = [str(dg.MultiPartitionKey({"symbol": s, "year": y})) for s in symbols for y in years]
    with dg.DagsterInstance.from_config(str(home)) as seeded:
        seeded.add_dynamic_partitions("symbols", list(symbols))
        for key in keys:
            seeded.report_runless_asset_event(dg.AssetMaterialization(bars, partition=key))
        targets = latest_materializations(seeded, bars, keys)
        for i, key in enumerate(keys):
            for check in CHECKS:
                passed = check != "coverage_check" or i % FAILING_EVERY != 0
                seeded.report_runless_asset_event(
                    dg.AssetCheckEvaluation(
                        asset_key=bars,
                        check_name=check,
                        passed=passed,
                        partition=key,
                        target_materialization_data=targets[key],
                    )
                )
    return len(keys) * len(CHECKS)


def check_state_pages(
    n_symbols: int, history: History, profile_dir: Path
) -> dict[str, list[PageTiming]]:
    """`CHECK_STATE_PAGES` on one seeded instance, served with Dagster's own sqlite event log
    ("dagster") and then with the project's dagster.yaml ("project")."""
    template = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    dagsters = {key: value for key, value in template.items() if key != "event_log_storage"}
    pages = [page for page in PAGES if page.name in CHECK_STATE_PAGES]
    timings = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = Path(environment(root)["DAGSTER_HOME"])
        written = seed_check_results(home, universe(n_symbols), history.keys)
        print(f"seeded {written} check results", file=sys.stderr, flush=True)
        for name, config in (("dagster", dagsters), ("project", template)):
            (home / "dagster.yaml").write_text(yaml.safe_dump(config))
            with dagster_dev(root, settings=history.settings) as server:
                timings[name] = ui_page_times(server.url, profile_dir, pages)
    return timings


def _unreachable(url: str) -> str:
    """Why the webserver at `url` cannot be measured, or "" when /server_info answers."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/server_info", timeout=30) as response:
            response.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        return f"no Dagster webserver answers {url}/server_info ({exc}): start it, or give its URL"
    return ""


def on_small_instance(n_symbols: int, history: History, profile_dir: Path) -> list[PageTiming]:
    """A throw-away `dagster dev` with an `n_symbols` x `history` backfill, then its pages."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        instance("sqlite", Path(tmp), history.settings) as (server, warehouse),
    ):
        built = backfill_on(server, warehouse, universe(n_symbols), history, "sqlite")
        print(json.dumps(asdict(built)), file=sys.stderr)
        return ui_page_times(server.url, profile_dir)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="a running Dagster webserver, e.g. http://127.0.0.1:3000")
    target.add_argument(
        "--symbols", type=int, help="build a throw-away instance: this many symbols, 2022-2024"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as profile:
        if args.url:
            timings = ui_page_times(args.url, Path(profile))
        else:
            timings = on_small_instance(args.symbols, History(2022, 2024), Path(profile))
    print(json.dumps([asdict(t) for t in timings], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
