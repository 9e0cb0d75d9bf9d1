"""`sensequant`: the demo, and batch backfills launched on a running Dagster instance.

`sensequant intraday LIST --from 2023-01 --to 2025-12` prints the Breeze call plan of an intraday
backfill (calls, hours at the per-minute rate, days at the daily cap less the reserve, the
finish date) before anything is fetched; with `--launch` it then starts that backfill.

`sensequant backfill LIST` goes through the webserver's GraphQL API, exactly as the Dagster UI's
"Materialize" dialog does: the backfill is the instance's, visible on the UI's backfills page and
run by its daemon, never an in-process shortcut that the UI does not see. `sensequant retry ID`
is the backfill page's "Re-execute > From failure": a new backfill of exactly the partitions the
first one did not materialize (failed ones and what depends on them), nothing it already wrote.
`sensequant lists add FILE` validates a constituent list and puts it into the watched folder.
`sensequant snapshots publish` rebuilds the warehouse's read-only snapshots for notebooks.
`sensequant migrate-to-lake FILE` copies a DuckDB warehouse into the configured DuckLake.
`sensequant breeze-session` stores the day's Breeze session token (from stdin, or as an argument)
where every later run of the running deployment reads it.
"""

import argparse
import datetime as dt
import json
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, TypeVar

# Only the standard library at import time: `--help`, `--version` and every refused input answer
# before Dagster, pandas or DuckDB load (about 1 s); each command imports what it uses.
if TYPE_CHECKING:
    import dagster as dg

    from sensequant_assets.sources.intraday_plan import CallPlan
    from sensequant_assets.universe.constituents import ConstituentList

Resource = TypeVar("Resource", bound="dg.ConfigurableResource")

DEFAULT_URL = "http://127.0.0.1:3000"
LOCATION = "sensequant_assets"
REPOSITORY = "__repository__"
FINISHED = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}

ADD_PARTITION = """
mutation($selector: RepositorySelector!, $name: String!, $key: String!) {
  addDynamicPartition(repositorySelector: $selector, partitionsDefName: $name, partitionKey: $key) {
    __typename
    ... on PythonError { message }
    ... on UnauthorizedError { message }
    ... on DuplicateDynamicPartitionError { partitionName }
  }
}"""

LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
    ... on PartitionKeysNotFoundError { message }
    ... on InvalidSubsetError { message }
  }
}"""

RETRY_BACKFILL = """
mutation($params: ReexecutionParams!) {
  reexecutePartitionBackfill(reexecutionParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
  }
}"""

BACKFILL_PROGRESS = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill {
      status
      assetBackfillData {
        assetBackfillStatuses {
          __typename
          ... on AssetPartitionsStatusCounts {
            numPartitionsTargeted numPartitionsInProgress numPartitionsMaterialized
            numPartitionsFailed
          }
          ... on UnpartitionedAssetStatus { inProgress materialized failed }
        }
      }
    }
    ... on PythonError { message }
    ... on BackfillNotFoundError { message }
  }
}"""

# Dagster flags its own beta and preview API at every import of the definitions; those lines
# speak of Dagster's API, not of anything the user did, so they show only with --verbose.
DAGSTER_NOTICES = r".*is currently in (beta|preview)"


class UsageError(ValueError):
    """Bad input (an argument, a variable, a list file): one line on stderr, exit code 2."""


class GraphQLError(RuntimeError):
    """The webserver refused a request or could not be reached; the message says which."""


def graphql(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url.rstrip('/')}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.load(response)
    except urllib.error.HTTPError as exc:
        # The webserver answered: a document or variables it refused come back as HTTP 400
        # with GraphQL errors, which say what was wrong; "cannot reach" would send the user
        # to start a webserver that is running.
        raise GraphQLError(
            f"{url}/graphql refused the request (HTTP {exc.code}): {refusal(exc)}"
        ) from exc
    except urllib.error.URLError as exc:
        raise GraphQLError(
            f"cannot reach the Dagster webserver at {url} ({exc.reason}); start it with "
            "`make ui` or pass --url"
        ) from exc
    if body.get("errors"):
        raise GraphQLError(f"{url}/graphql: {body['errors'][0].get('message')}")
    return body["data"]


def refusal(error: urllib.error.HTTPError) -> str:
    """The first GraphQL error of a refused request, else its HTTP reason."""
    try:
        errors = json.loads(error.read() or b"{}").get("errors") or []
    except (ValueError, AttributeError):
        errors = []
    return str(errors[0].get("message")) if errors else str(error.reason)


def register_symbols(url: str, symbols: Sequence[str]) -> list[str]:
    """Add each symbol as a `symbols` partition; return those that were new."""
    from sensequant_assets.defs.partitions import symbols_partitions

    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
    added = []
    for symbol in symbols:
        variables = {"selector": selector, "name": symbols_partitions.name, "key": symbol}
        result = graphql(url, ADD_PARTITION, variables)["addDynamicPartition"]
        kind = result["__typename"]
        if kind == "AddDynamicPartitionSuccess":
            added.append(symbol)
        elif kind != "DuplicateDynamicPartitionError":
            raise GraphQLError(f"adding partition {symbol}: {kind}: {result.get('message')}")
    return added


def launch_backfill(
    url: str,
    partitions: Sequence[str],
    batch: str,
    assets: Sequence[Any] | None = None,
    title: str | None = None,
) -> str:
    """One asset backfill of `partitions` of `assets`, ordered and chunked by the daemon. By
    default the batch's: mapping, bars for every year and their checks, labels, models, the
    universe model and the coverage report (`partitions` then names the symbols). Returns its
    id."""
    from sensequant_assets.universe.partitions import BATCH_TAG

    if assets is None:
        from sensequant_assets.defs.universe.sensors import BATCH_ASSETS

        assets = BATCH_ASSETS
    params = {
        "partitionNames": list(partitions),
        "assetSelection": [{"path": key.path} for key in assets],
        "tags": [{"key": BATCH_TAG, "value": batch}],
        "title": title or f"batch {batch}",
    }
    result = graphql(url, LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise GraphQLError(f"launching the {batch} backfill: {result.get('message', result)}")
    return result["backfillId"]


def launch_retry(url: str, backfill_id: str) -> str:
    """A new backfill of what `backfill_id` did not materialize (from failure); its id."""
    params = {"parentRunId": backfill_id, "strategy": "FROM_FAILURE"}
    result = graphql(url, RETRY_BACKFILL, {"params": params})["reexecutePartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise GraphQLError(f"re-executing backfill {backfill_id}: {result.get('message', result)}")
    return result["backfillId"]


@dataclass(frozen=True)
class Progress:
    """Where a backfill stands, counted in asset partitions as its page in the UI counts them
    (an unpartitioned asset, such as the universe model, counts one)."""

    status: str
    total: int = 0
    done: int = 0
    failed: int = 0
    running: int = 0

    @classmethod
    def from_graphql(cls, backfill: Mapping[str, Any]) -> "Progress":
        total = done = failed = running = 0
        data = backfill.get("assetBackfillData") or {}
        for asset in data.get("assetBackfillStatuses") or ():
            if asset["__typename"] == "AssetPartitionsStatusCounts":
                total += asset["numPartitionsTargeted"]
                done += asset["numPartitionsMaterialized"]
                failed += asset["numPartitionsFailed"]
                running += asset["numPartitionsInProgress"]
            else:
                total += 1
                done += bool(asset["materialized"])
                failed += bool(asset["failed"])
                running += bool(asset["inProgress"])
        return cls(backfill["status"], total, done, failed, running)


def backfill_progress(url: str, backfill_id: str) -> Progress:
    result = graphql(url, BACKFILL_PROGRESS, {"id": backfill_id})["partitionBackfillOrError"]
    if result["__typename"] != "PartitionBackfill":
        raise GraphQLError(f"backfill {backfill_id}: {result.get('message', result)}")
    return Progress.from_graphql(result)


def backfill_status(url: str, backfill_id: str) -> str:
    return backfill_progress(url, backfill_id).status


def duration(seconds: float) -> str:
    """`42s`, `3m07s`, `2h05m`: as long as a glance needs."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def render_progress(progress: Progress, elapsed_s: float, bar_width: int = 0) -> str:
    """One line: partitions done, failed, running (of all), elapsed and an estimate of what
    remains from the pace so far; with `bar_width`, led by a bar of that many cells."""
    finished = progress.done + progress.failed
    if progress.status in FINISHED:
        estimate = "finished"
    elif finished and progress.total:
        left = elapsed_s * (progress.total - finished) / finished
        estimate = f"~{duration(left)} remaining"
    else:
        estimate = "remaining unknown until a partition finishes"
    line = (
        f"{finished}/{progress.total} partitions: {progress.done} done, {progress.failed} failed,"
        f" {progress.running} running; {duration(elapsed_s)} elapsed, {estimate}"
    )
    if not bar_width:
        return line
    cells = bar_width * finished // progress.total if progress.total else 0
    return f"[{'#' * cells}{'.' * (bar_width - cells)}] {line}"


class ProgressPrinter:
    """Shows a waited-for backfill: on a terminal one live bar redrawn in place; otherwise (a
    log, a pipe, CI) a plain line whenever a count changes, and at least every minute."""

    def __init__(self, out: TextIO, bar_width: int = 30, every_s: float = 60.0) -> None:
        self.out = out
        self.live = out.isatty()
        self.bar_width = bar_width
        self.every_s = every_s
        self.shown: tuple[object, ...] | None = None
        self.shown_at = 0.0

    def __call__(self, progress: Progress, elapsed_s: float) -> None:
        if self.live:
            self.out.write(f"\r{render_progress(progress, elapsed_s, self.bar_width)}\x1b[K")
            self.out.flush()
            return
        counts = (progress.status, progress.total, progress.done, progress.failed, progress.running)
        if counts != self.shown or elapsed_s - self.shown_at >= self.every_s:
            print(render_progress(progress, elapsed_s), file=self.out, flush=True)
            self.shown, self.shown_at = counts, elapsed_s

    def close(self) -> None:
        if self.live:
            self.out.write("\n")
            self.out.flush()


class CountProgress:
    """The progress of a long command that works here rather than through a backfill
    (`migrate-to-lake` copies a partition at a time, `snapshots publish` writes a file per
    partition), shown as `--wait` shows a backfill's: called with (done, total) by the work; on
    stderr, so stdout keeps only what the command reports."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.printer = ProgressPrinter(out or sys.stderr)
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        finished = done >= total
        progress = Progress(
            "COMPLETED" if finished else "STARTED", total, done, 0, int(not finished)
        )
        self.printer(progress, time.monotonic() - self.started)

    def say(self, line: str) -> None:
        """A line of the command's own output, printed below a live bar (the next call redraws
        the bar)."""
        if self.printer.live:
            self.printer.out.write("\r\x1b[K")
            self.printer.out.flush()
        print(line, flush=True)


def wait_for_backfill(
    url: str,
    backfill_id: str,
    timeout_s: float,
    poll_s: float = 2.0,
    report: Callable[[Progress, float], None] | None = None,
) -> str:
    """Poll until the backfill finishes; `report` is shown its progress at every poll."""
    started = time.monotonic()
    while True:
        progress = backfill_progress(url, backfill_id)
        elapsed = time.monotonic() - started
        if report:
            report(progress, elapsed)
        if progress.status in FINISHED:
            return progress.status
        if elapsed > timeout_s:
            raise TimeoutError(
                f"backfill {backfill_id} still {progress.status} after {timeout_s:.0f} s; it "
                f"keeps running: follow it at {url}/runs/b/{backfill_id}"
            )
        time.sleep(poll_s)


def read_list(list_path: Path) -> "ConstituentList":
    """The list's valid symbols; each line skipped is named on stderr (file:line: why)."""
    from sensequant_assets.universe.constituents import ConstituentListError, read_constituent_file

    try:
        batch = read_constituent_file(list_path)
    except ConstituentListError as exc:
        raise UsageError(str(exc)) from None
    for bad in batch.bad_lines:
        print(f"skipped bad line {bad}", file=sys.stderr)
    if not batch.symbols:
        raise UsageError(f"{list_path} lists no valid symbol; nothing to do")
    return batch


def backfill(list_path: Path, url: str, wait: bool, timeout_s: float) -> int:
    batch = read_list(list_path)
    added = register_symbols(url, batch.symbols)
    backfill_id = launch_backfill(url, batch.symbols, batch.batch)
    print(
        f"batch {batch.batch}: {len(batch.symbols)} symbols ({len(added)} new partitions); "
        f"backfill {backfill_id}: {url.rstrip('/')}/runs/b/{backfill_id}"
    )
    return follow(url, backfill_id, timeout_s) if wait else 0


def retry(backfill_id: str, url: str, wait: bool, timeout_s: float) -> int:
    new_id = launch_retry(url, backfill_id)
    print(
        f"backfill {backfill_id}: its failed partitions re-run as backfill {new_id}: "
        f"{url.rstrip('/')}/runs/b/{new_id}"
    )
    return follow(url, new_id, timeout_s) if wait else 0


@contextmanager
def refused_as_usage() -> Iterator[None]:
    """A variable the code location's functions refuse (`SettingError`, an unknown source, a
    profile that would mix data: each a ValueError naming it) as a one-line usage error."""
    try:
        yield
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def deployment(build: "Callable[[], Resource]") -> "Resource":
    """A resource as this deployment's runs get it: built by the code location's own function
    (`defs/resources.py`), its variables resolved."""
    with refused_as_usage():
        return build().process_config_and_initialize()


def breeze_limit(field: str) -> int:
    """A Breeze limit as this deployment's runs see it, checked as the code location checks it
    (`defs/resources.deployed`), without the credentials building the source would need."""
    from sensequant_assets.defs.resources import BREEZE_SETTINGS, deployed
    from sensequant_assets.sources.breeze.source import BreezeSource

    with refused_as_usage():
        return int(deployed(BreezeSource, field, BREEZE_SETTINGS[field]))


def intraday_plan(
    symbols: Sequence[str], first: dt.date, last: dt.date, interval: str
) -> "CallPlan":
    """The call plan of `symbols` x the months from `first` to `last`, on the deployment's
    calendar corrections and Breeze limits (the reserve included), starting today."""
    from sensequant_assets.defs.resources import project_paths
    from sensequant_assets.market.intraday import SessionHoursUnknownError
    from sensequant_assets.sources.intraday_plan import months_of, plan
    from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days

    reference = deployment(project_paths).reference
    try:
        return plan(
            symbols,
            months_of(first, last),
            interval,
            load_known_days(reference / SESSIONS_FILE),
            per_minute=breeze_limit("calls_per_minute"),
            per_day=breeze_limit("calls_per_day"),
            reserve=breeze_limit("daily_reserve"),
        )
    except SessionHoursUnknownError as exc:
        raise UsageError(str(exc)) from None


def intraday(
    list_path: Path,
    first: dt.date,
    last: dt.date,
    interval: str | None,
    url: str,
    launch: bool,
    wait: bool,
    timeout_s: float,
) -> int:
    """Print the call plan; with `launch`, then backfill intraday_bars for those partitions."""
    interval = intraday_interval(interval)
    month_range(first, last)
    batch = read_list(list_path)
    print(intraday_plan(batch.symbols, first, last, interval))
    if not launch:
        print("Nothing launched: add --launch to start this backfill on the running instance.")
        return 0
    from sensequant_assets.defs.intraday.assets import intraday_bars
    from sensequant_assets.sources.intraday_plan import months_of
    from sensequant_assets.universe.partitions import month_symbol_key

    register_symbols(url, batch.symbols)
    keys = [month_symbol_key(s, m) for m in months_of(first, last) for s in batch.symbols]
    backfill_id = launch_backfill(
        url, keys, batch.batch, [intraday_bars.key], f"intraday {batch.batch} {interval}"
    )
    print(
        f"intraday backfill {backfill_id} ({len(keys)} partitions; their symbols need a "
        f"materialized symbol_mapping): {url.rstrip('/')}/runs/b/{backfill_id}"
    )
    return follow(url, backfill_id, timeout_s) if wait else 0


def intraday_interval(given: str | None) -> str:
    """--interval, else the deployment's (SENSEQUANT_INTRADAY_INTERVAL, else the resource's
    default); refused by name (the option or the variable) when the platform stores no such."""
    from sensequant_assets.defs.resources import intraday_settings
    from sensequant_assets.market.intraday import INTERVALS

    if not given:
        return deployment(intraday_settings).interval
    if given not in INTERVALS:
        raise UsageError(f"--interval={given!r} is not one of {', '.join(INTERVALS)}")
    return given


def month_range(first: dt.date, last: dt.date) -> None:
    """Refuse months the platform holds no partition for (before the deployment's first year,
    after this month in IST) and a range given backwards, which would plan nothing and succeed."""
    from sensequant_assets.market.calendar import IST

    today = dt.datetime.now(IST).date()
    earliest, latest = dt.date(deployment_first_year(), 1, 1), today.replace(day=1)
    for option, month in (("--from", first), ("--to", last)):
        if not earliest <= month <= latest:
            raise UsageError(
                f"{option} {month:%Y-%m} is outside the months the platform holds, "
                f"{earliest:%Y-%m} to {latest:%Y-%m}"
            )
    if first > last:
        raise UsageError(
            f"--from {first:%Y-%m} is after --to {last:%Y-%m}: give the earlier month first"
        )


def deployment_first_year() -> int:
    """SENSEQUANT_FIRST_YEAR as the code location reads it; a bad value is a usage error."""
    from sensequant_assets.market.history import first_year

    try:
        return first_year()
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def history(list_path: Path, first: int | None, last: int | None) -> int:
    """Print the Breeze call plan of the list's daily bars for `first`-`last` (a deeper history:
    set SENSEQUANT_FIRST_YEAR, then backfill the new year partitions)."""
    from sensequant_assets.market.calendar import IST
    from sensequant_assets.market.history import EARLIEST_FIRST_YEAR
    from sensequant_assets.sources.history_plan import history_plan

    this_year = dt.datetime.now(IST).year
    first = deployment_first_year() if first is None else first
    last = this_year if last is None else last
    if not EARLIEST_FIRST_YEAR <= first <= last <= this_year:
        raise UsageError(
            f"--from {first} --to {last}: give years from {EARLIEST_FIRST_YEAR} to {this_year}, "
            "the earlier first"
        )
    batch = read_list(list_path)
    limits = [breeze_limit(f) for f in ("calls_per_minute", "calls_per_day", "daily_reserve")]
    print(history_plan(batch.symbols, range(first, last + 1), *limits))
    return 0


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month like 2024-03") from None


def _url(text: str) -> str:
    if not text.startswith(("http://", "https://")) or len(text.split("://", 1)[1]) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL like {DEFAULT_URL}")
    return text


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return seconds


def follow(url: str, backfill_id: str, timeout_s: float) -> int:
    """Wait for the backfill, showing its progress; on failure, say how to re-run exactly what
    failed."""
    printer = ProgressPrinter(sys.stdout)
    try:
        status = wait_for_backfill(url, backfill_id, timeout_s, report=printer)
    except KeyboardInterrupt:
        printer.close()
        print(f"stopped waiting; backfill {backfill_id} keeps running", file=sys.stderr)
        return 130
    printer.close()
    print(f"backfill {backfill_id}: {status}")
    if status in {"COMPLETED", "COMPLETED_SUCCESS"}:
        return 0
    print(
        f"the partitions that failed kept their previous rows; see why at "
        f"{url.rstrip('/')}/runs/b/{backfill_id}, then re-run exactly them with "
        f"`sensequant retry {backfill_id}`",
        file=sys.stderr,
    )
    return 1


def publish_snapshots() -> int:
    """Every table of this deployment's warehouse (SENSEQUANT_WAREHOUSE) as snapshots: for a
    warehouse written before snapshots existed, or after a publish failed. Runs already publish
    what they write; this holds the warehouse like one warehouse step."""
    import duckdb

    from sensequant_assets.defs.resources import project_paths, warehouse
    from sensequant_assets.warehouse.resources import WarehouseLockedError
    from sensequant_assets.warehouse.snapshots import SnapshotPublishError, publish_all

    store = deployment(warehouse)
    root = deployment(project_paths).snapshots_for(store.local_file)
    if root is None:
        print(
            f"error: the warehouse {store.location} is not a local DuckDB file; a DuckLake "
            "gives readers consistent snapshots itself (docs/deploy.md)",
            file=sys.stderr,
        )
        return 2
    progress = CountProgress()
    try:
        with store.get_connection() as conn:
            files = publish_all(conn, root, progress)
    except WarehouseLockedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, duckdb.Error, SnapshotPublishError) as exc:
        print(f"error: publishing the snapshots under {root} failed: {exc}", file=sys.stderr)
        return 1
    finally:
        progress.printer.close()
    for table, count in files.items():
        print(f"{table}: {count} file(s)")
    print(
        f"snapshots of {store.database} in {root}; in a notebook: "
        "from sensequant_assets.warehouse.snapshots import connect_snapshots; "
        f"conn = connect_snapshots({str(root)!r})"
    )
    return 0


def migrate_to_lake(source: Path, replace: bool) -> int:
    """Copy `source` into the lake this deployment's environment configures, as runs see it."""
    from sensequant_assets.defs.resources import warehouse
    from sensequant_assets.warehouse.lake import LakeUnavailableError
    from sensequant_assets.warehouse.migration import MigrationError, migrate

    if not source.is_file():
        raise UsageError(f"{source} is not a file: name the DuckDB warehouse to copy")
    lake = deployment(warehouse)
    progress = CountProgress()
    try:
        copies = migrate(source, lake, replace=replace, say=progress.say, progress=progress)
    except (MigrationError, LakeUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        progress.printer.close()
    copied = sum(copy.copied for copy in copies)
    print(
        f"{lake.location} holds every table of {source} ({copied} copied, "
        f"{len(copies) - copied} already there): row counts and checksums match"
    )
    return 0


def add_list(source: str, name: str | None, replace: bool) -> int:
    """Validate a constituent list and put it into this deployment's list folder
    (SENSEQUANT_CONSTITUENTS_DIR), where the sensor takes it up as a batch; `-` reads stdin, so
    a list reaches a container with `docker compose exec -T` or `kubectl exec -i`."""
    from sensequant_assets.defs.resources import project_paths
    from sensequant_assets.universe.constituents import ConstituentListError
    from sensequant_assets.universe.constituents import add_list as put_list

    if source == "-":
        if not name:
            raise UsageError("a list read from stdin needs --name (its batch name)")
        raw, origin = sys.stdin.buffer.read(), Path("<stdin>")
    else:
        origin = Path(source)
        try:
            raw = origin.read_bytes()
        except OSError as exc:
            raise UsageError(f"{origin}: cannot be read ({exc.strerror})") from None
    folder = deployment(project_paths).constituents
    try:
        added = put_list(raw, origin, folder, name or origin.stem, replace)
    except ConstituentListError as exc:
        raise UsageError(str(exc)) from None
    print(
        f"{added.path}: {len(added.symbols)} symbols; the constituent_lists_sensor launches "
        f"batch {added.batch} on its next tick when it is running"
    )
    return 0


def breeze_session(token: str | None) -> int:
    """Store the day's session token for every later run of this profile: no restart, no run
    config, never the instance or the event log (`sources/breeze/session.py`)."""
    from sensequant_assets.profiles import ProfileError, secrets_folder
    from sensequant_assets.sources.breeze.session import SessionTokenError, fingerprint, write_token

    if token is None:
        if sys.stdin.isatty():
            import getpass

            token = getpass.getpass("Breeze session token (not echoed): ")
        else:
            token = sys.stdin.read()
    try:
        path = write_token(secrets_folder(), token)
    except (SessionTokenError, ProfileError) as exc:
        raise UsageError(str(exc)) from None
    print(
        f"stored the Breeze session token (fingerprint {fingerprint(token.strip())}) in {path}, "
        "readable by you only; every run from now on logs in with it, no restart needed"
    )
    return 0


def check_environment() -> None:
    """Refuse, before any work, a variable every run of this deployment would refuse too: the
    source and the intraday interval, built by the code location's own functions."""
    from sensequant_assets.defs.resources import bar_source, intraday_settings

    with refused_as_usage():
        bar_source()
        intraday_settings()


class Parser(argparse.ArgumentParser):
    """argparse, except that a refused argument is one line (usage is one `--help` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return f"sensequant {installed('sensequant-assets')} (dagster {installed('dagster')})"
    except PackageNotFoundError:
        return "sensequant (not installed: run `make demo` or `pip install -e .`)"


def parser() -> Parser:
    top = Parser(prog="sensequant", description=__doc__.splitlines()[0])
    top.add_argument("--version", action="version", version=version())
    top.add_argument(
        "-v", "--verbose", action="store_true", help="also show Dagster's beta/preview warnings"
    )
    commands = top.add_subparsers(dest="command", required=True)
    run_demo = commands.add_parser("demo", help="run the demo batch end to end, in-process")
    run_demo.add_argument("list", nargs="?", type=Path, help="constituent list (default: demo.txt)")
    launch = commands.add_parser(
        "backfill", help="register a list's symbols and backfill them on the running instance"
    )
    launch.add_argument("list", type=Path, help="constituent list, e.g. data/constituents/x.txt")
    rerun = commands.add_parser(
        "retry", help="re-run exactly the partitions a finished backfill did not materialize"
    )
    rerun.add_argument("backfill_id", help="the backfill's id, as `backfill` printed it")
    minutes = commands.add_parser(
        "intraday", help="print an intraday backfill's Breeze call plan, and launch it if asked"
    )
    minutes.add_argument("list", type=Path, help="constituent list, e.g. data/constituents/x.txt")
    minutes.add_argument("--from", dest="first", type=_month, required=True, help="e.g. 2023-01")
    minutes.add_argument("--to", dest="last", type=_month, required=True, help="e.g. 2025-12")
    minutes.add_argument(
        "--interval",
        help="candle length, 1minute, 5minute or 30minute (default: "
        "SENSEQUANT_INTRADAY_INTERVAL, else 1minute)",
    )
    minutes.add_argument("--launch", action="store_true", help="start the backfill after the plan")
    years = commands.add_parser("history", help="print the Breeze call plan of a daily history")
    years.add_argument("list", type=Path, help="constituent list, e.g. data/constituents/x.txt")
    years.add_argument(
        "--from", dest="first", type=int, help="first year (default: SENSEQUANT_FIRST_YEAR)"
    )
    years.add_argument("--to", dest="last", type=int, help="last year (default: this year)")
    for command in (launch, rerun, minutes):
        command.add_argument(
            "--url", type=_url, default=DEFAULT_URL, help=f"webserver (default {DEFAULT_URL})"
        )
        command.add_argument(
            "--wait", action="store_true", help="wait until the backfill finishes, with progress"
        )
        command.add_argument(
            "--timeout", type=_seconds, default=3600, help="seconds --wait waits (default 3600)"
        )
    lists = commands.add_parser("lists", help="the constituent lists the sensor watches")
    list_commands = lists.add_subparsers(dest="action", required=True)
    add = list_commands.add_parser(
        "add",
        help="validate a list and put it into SENSEQUANT_CONSTITUENTS_DIR (refused whole if any "
        "line is bad)",
    )
    add.add_argument("file", help="the list file, or - to read it from stdin (with --name)")
    add.add_argument("--name", help="batch name (default: the file's name without .txt)")
    add.add_argument(
        "--replace", action="store_true", help="replace a list of that name holding other symbols"
    )
    snapshots = commands.add_parser(
        "snapshots", help="the warehouse's read-only Parquet snapshots, which notebooks read"
    )
    snapshot_commands = snapshots.add_subparsers(dest="action", required=True)
    snapshot_commands.add_parser("publish", help="publish every table now (waits for the file)")
    lake = commands.add_parser(
        "migrate-to-lake",
        help="copy a DuckDB warehouse file into the DuckLake the environment configures "
        "(SENSEQUANT_WAREHOUSE_BACKEND=ducklake, DAGSTER_PG_*, SENSEQUANT_LAKE_*)",
    )
    lake.add_argument("source", type=Path, help="the DuckDB file, e.g. data/warehouse.duckdb")
    lake.add_argument(
        "--replace",
        action="store_true",
        help="replace lake tables that already hold other rows (never needed on a new lake)",
    )
    session = commands.add_parser(
        "breeze-session",
        help="store today's Breeze session token for every later run (reads stdin if not given)",
    )
    session.add_argument("token", nargs="?", help="the token; omit it to paste it unechoed")
    return top


def run(args: argparse.Namespace) -> int:
    check_environment()
    if args.command == "breeze-session":
        return breeze_session(args.token)
    if args.command == "demo":
        from sensequant_assets import demo
        from sensequant_assets.universe.constituents import ConstituentListError

        try:
            return demo.main(args.list)
        except ConstituentListError as exc:
            raise UsageError(str(exc)) from None
    if args.command == "lists":
        return add_list(args.file, args.name, args.replace)
    if args.command == "snapshots":
        return publish_snapshots()
    if args.command == "migrate-to-lake":
        return migrate_to_lake(args.source, args.replace)
    if args.command == "history":
        return history(args.list, args.first, args.last)
    try:
        if args.command == "intraday":
            return intraday(
                args.list,
                args.first,
                args.last,
                args.interval,
                args.url,
                args.launch,
                args.wait,
                args.timeout,
            )
        if args.command == "retry":
            return retry(args.backfill_id, args.url, args.wait, args.timeout)
        return backfill(args.list, args.url, args.wait, args.timeout)
    except (GraphQLError, TimeoutError) as exc:
        print(f"sensequant: error: {exc}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.verbose:
        warnings.filterwarnings("ignore", message=DAGSTER_NOTICES)
    try:
        return run(args)
    except UsageError as exc:
        print(f"sensequant {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
