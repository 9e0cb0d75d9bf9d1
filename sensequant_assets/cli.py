"""`sensequant`: the demo, and batch backfills launched on a running Dagster instance.

`sensequant intraday LIST --from 2023-01 --to 2025-12` prints the Breeze call plan of an intraday
backfill (calls, hours at the per-minute rate, days at the daily cap less the reserve, the
finish date) before anything is fetched; with `--launch` it then starts that backfill.

`sensequant backfill LIST` goes through the webserver's GraphQL API, exactly as the Dagster UI's
"Materialize" dialog does: the backfill is the instance's, visible on the UI's backfills page and
run by its daemon, never an in-process shortcut that the UI does not see. `sensequant retry ID`
is the backfill page's "Re-execute > From failure": a new backfill of exactly the partitions the
first one did not materialize (failed ones and what depends on them), nothing it already wrote.
`sensequant snapshots publish` rebuilds the warehouse's read-only snapshots for notebooks.
`sensequant migrate-to-lake FILE` copies a DuckDB warehouse into the configured DuckLake.
`sensequant breeze-session` stores the day's Breeze session token (from stdin, or as an argument)
where every later run of the running deployment reads it.
"""

import argparse
import datetime as dt
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from sensequant_assets import demo
from sensequant_assets.defs.intraday.assets import intraday_bars
from sensequant_assets.defs.partitions import symbols_partitions
from sensequant_assets.defs.resources import BREEZE_SETTINGS, project_paths, warehouse
from sensequant_assets.defs.universe.sensors import BATCH_ASSETS
from sensequant_assets.profiles import ProfileError, secrets_folder
from sensequant_assets.sources.breeze.session import SessionTokenError, fingerprint, write_token
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets.sources.intraday_batch import IntradaySettings
from sensequant_assets.sources.intraday_plan import CallPlan, months_of, plan
from sensequant_assets.universe.constituents import ConstituentListError, read_constituent_file
from sensequant_assets.universe.partitions import BATCH_TAG, month_symbol_key
from sensequant_assets.universe.reference import CHECKED_IN, SESSIONS_FILE, load_known_days
from sensequant_assets.warehouse.lake import LakeUnavailableError
from sensequant_assets.warehouse.migration import MigrationError, migrate
from sensequant_assets.warehouse.resources import WarehouseLockedError
from sensequant_assets.warehouse.snapshots import SnapshotPublishError, publish_all

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

BACKFILL_STATUS = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status numCancelable }
    ... on PythonError { message }
    ... on BackfillNotFoundError { message }
  }
}"""


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
    except urllib.error.URLError as exc:
        raise GraphQLError(
            f"cannot reach the Dagster webserver at {url} ({exc.reason}); start it with "
            "`make ui` or pass --url"
        ) from exc
    if body.get("errors"):
        raise GraphQLError(f"{url}/graphql: {body['errors'][0].get('message')}")
    return body["data"]


def register_symbols(url: str, symbols: Sequence[str]) -> list[str]:
    """Add each symbol as a `symbols` partition; return those that were new."""
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
    assets: Sequence[Any] = BATCH_ASSETS,
    title: str | None = None,
) -> str:
    """One asset backfill of `partitions` of `assets`, ordered and chunked by the daemon. By
    default the batch's: mapping, bars for every year and their checks, labels, models, the
    universe model and the coverage report (`partitions` then names the symbols). Returns its
    id."""
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


def backfill_status(url: str, backfill_id: str) -> str:
    result = graphql(url, BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]
    if result["__typename"] != "PartitionBackfill":
        raise GraphQLError(f"backfill {backfill_id}: {result.get('message', result)}")
    return result["status"]


def wait_for_backfill(url: str, backfill_id: str, timeout_s: float, poll_s: float = 2.0) -> str:
    deadline = time.monotonic() + timeout_s
    while (status := backfill_status(url, backfill_id)) not in FINISHED:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"backfill {backfill_id} still {status} after {timeout_s:.0f} s; it keeps "
                f"running: follow it at {url}/runs/b/{backfill_id}"
            )
        time.sleep(poll_s)
    return status


def backfill(list_path: Path, url: str, wait: bool, timeout_s: float) -> int:
    try:
        batch = read_constituent_file(list_path)
    except ConstituentListError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for bad in batch.bad_lines:
        print(f"skipped bad line {bad}", file=sys.stderr)
    if not batch.symbols:
        print(f"error: {list_path} lists no valid symbol; nothing to backfill", file=sys.stderr)
        return 2
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


def breeze_limit(field: str) -> int:
    """A Breeze limit as this deployment's runs see it: its variable, else the source's default."""
    value = os.environ.get(BREEZE_SETTINGS[field])
    return int(value) if value else int(BreezeSource.model_fields[field].default)


def intraday_plan(symbols: Sequence[str], first: dt.date, last: dt.date, interval: str) -> CallPlan:
    """The call plan of `symbols` x the months from `first` to `last`, on the deployment's
    calendar corrections and Breeze limits (the reserve included), starting today."""
    reference = Path(os.environ.get("SENSEQUANT_REFERENCE_DIR") or CHECKED_IN)
    return plan(
        symbols,
        months_of(first, last),
        interval,
        load_known_days(reference / SESSIONS_FILE),
        per_minute=breeze_limit("calls_per_minute"),
        per_day=breeze_limit("calls_per_day"),
        reserve=breeze_limit("daily_reserve"),
    )


def intraday(
    list_path: Path,
    first: dt.date,
    last: dt.date,
    interval: str,
    url: str,
    launch: bool,
    wait: bool,
    timeout_s: float,
) -> int:
    """Print the call plan; with `launch`, then backfill intraday_bars for those partitions."""
    try:
        batch = read_constituent_file(list_path)
    except ConstituentListError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not batch.symbols:
        print(f"error: {list_path} lists no valid symbol; nothing to plan", file=sys.stderr)
        return 2
    print(intraday_plan(batch.symbols, first, last, interval))
    if not launch:
        print("Nothing launched: add --launch to start this backfill on the running instance.")
        return 0
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


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month like 2024-03") from None


def follow(url: str, backfill_id: str, timeout_s: float) -> int:
    """Wait for the backfill; on failure, say how to re-run exactly what failed."""
    status = wait_for_backfill(url, backfill_id, timeout_s)
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
    store = warehouse().process_config_and_initialize()
    root = project_paths().process_config_and_initialize().snapshots_for(store.local_file)
    if root is None:
        print(
            f"error: the warehouse {store.location} is not a local DuckDB file; a DuckLake "
            "gives readers consistent snapshots itself (docs/deploy.md)",
            file=sys.stderr,
        )
        return 2
    try:
        with store.get_connection() as conn:
            files = publish_all(conn, root)
    except WarehouseLockedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, duckdb.Error, SnapshotPublishError) as exc:
        print(f"error: publishing the snapshots under {root} failed: {exc}", file=sys.stderr)
        return 1
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
    lake = warehouse().process_config_and_initialize()
    try:
        copies = migrate(source, lake, replace=replace)
    except (MigrationError, LakeUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    copied = sum(copy.copied for copy in copies)
    print(
        f"{lake.location} holds every table of {source} ({copied} copied, "
        f"{len(copies) - copied} already there): row counts and checksums match"
    )
    return 0


def breeze_session(token: str | None) -> int:
    """Store the day's session token for every later run of this profile: no restart, no run
    config, never the instance or the event log (`sources/breeze/session.py`)."""
    if token is None:
        if sys.stdin.isatty():
            import getpass

            token = getpass.getpass("Breeze session token (not echoed): ")
        else:
            token = sys.stdin.read()
    try:
        path = write_token(secrets_folder(), token)
    except (SessionTokenError, ProfileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"stored the Breeze session token (fingerprint {fingerprint(token.strip())}) in {path}, "
        "readable by you only; every run from now on logs in with it, no restart needed"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sensequant", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
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
        default=os.environ.get("SENSEQUANT_INTRADAY_INTERVAL")
        or IntradaySettings.model_fields["interval"].default,
        choices=["1minute", "5minute", "30minute"],
        help="candle length (default: SENSEQUANT_INTRADAY_INTERVAL, else 1minute)",
    )
    minutes.add_argument("--launch", action="store_true", help="start the backfill after the plan")
    for command in (launch, rerun, minutes):
        command.add_argument(
            "--url", default=DEFAULT_URL, help=f"webserver (default {DEFAULT_URL})"
        )
        command.add_argument("--wait", action="store_true", help="wait until the backfill finishes")
        command.add_argument("--timeout", type=float, default=3600, help="seconds --wait waits")
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
    args = parser.parse_args(argv)
    if args.command == "breeze-session":
        return breeze_session(args.token)
    if args.command == "demo":
        return demo.main(args.list)
    if args.command == "snapshots":
        return publish_snapshots()
    if args.command == "migrate-to-lake":
        return migrate_to_lake(args.source, args.replace)
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
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
