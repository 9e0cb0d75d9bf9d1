"""`sensequant` talks like the tools its users know: quiet, fast to answer `--help`, one line and
exit code 2 for every bad input, and a progress line for a waited-for backfill.

The error cases run the real command in a subprocess (the user's view: exit code, stderr, no
traceback); the progress rendering is tested on plain inputs, and once end to end against a
stand-in of the Dagster webserver's GraphQL API that counts partitions as a backfill advances.
"""

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sensequant_assets import cli
from sensequant_assets.paths import REPO_ROOT
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.defs.teacher.test_assets import seed_bars


def sensequant(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The real command, as a user's shell runs it (warnings at Python's defaults)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SENSEQUANT_")}
    environ.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, "-m", "sensequant_assets.cli", *args],
        cwd=REPO_ROOT,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def good_list(tmp_path: Path) -> Path:
    listed = tmp_path / "pair.txt"
    listed.write_text("RELIANCE\nnot a symbol!\nTCS\n")
    return listed


PLAN = ["--from", "2024-01", "--to", "2024-02"]

BAD_INPUTS = {
    "unknown source": ({"SENSEQUANT_SOURCE": "foo"}, [], "SENSEQUANT_SOURCE='foo' is not one of"),
    "unknown interval variable": (
        {"SENSEQUANT_INTRADAY_INTERVAL": "2minute"},
        [],
        "SENSEQUANT_INTRADAY_INTERVAL='2minute' is not one of 1minute, 5minute, 30minute",
    ),
    "unknown interval option": ({}, [*PLAN, "--interval", "2minute"], "--interval='2minute'"),
    "special session without hours": (
        {},
        ["--from", "2020-11", "--to", "2020-11"],
        "2020-11-14 is a special session (Diwali Muhurat trading, a Saturday) whose hours are not",
    ),
    "month before the first": (
        {},
        ["--from", "2015-01", "--to", "2024-02"],
        "--from 2015-01 is outside the months the platform holds, 2016-01 to",
    ),
    "month in the future": (
        {},
        ["--from", "2024-01", "--to", "2099-01"],
        "--to 2099-01 is outside",
    ),
    "range reversed": (
        {},
        ["--from", "2025-12", "--to", "2023-01"],
        "--from 2025-12 is after --to 2023-01",
    ),
    "no month": ({}, ["--from", "2024-13", "--to", "2024-12"], "'2024-13' is not a month"),
    "no URL": ({}, [*PLAN, "--url", "localhost:3000"], "'localhost:3000' is not a URL"),
    "no timeout": ({}, [*PLAN, "--timeout", "-5"], "'-5' is not a positive number of seconds"),
    "bad Breeze limit": ({"BREEZE_CALLS_PER_DAY": "lots"}, PLAN, "BREEZE_CALLS_PER_DAY='lots'"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_each_bad_intraday_input_is_one_line_on_stderr_and_exit_2(
    case: str, good_list: Path
) -> None:
    env, args, expected = BAD_INPUTS[case]
    result = sensequant("intraday", str(good_list), *(args or PLAN), env=env)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if not line.startswith("skipped")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert expected in errors[0] and "error:" in errors[0]


@pytest.mark.parametrize(
    "args",
    [
        ["intraday", "missing.txt", *PLAN],
        ["backfill", "missing.txt"],
        ["demo", "missing.txt"],
        ["migrate-to-lake", "missing.duckdb"],
    ],
    ids=lambda args: args[0],
)
def test_a_missing_file_is_one_line_naming_it_and_exit_2(args: list[str], tmp_path: Path) -> None:
    missing = tmp_path / args[1]
    result = sensequant(*[str(missing) if a == args[1] else a for a in args])
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert str(missing) in line and line.startswith(f"sensequant {args[0]}: error:")


def test_help_is_quiet_and_loads_neither_dagster_nor_pandas() -> None:
    result = sensequant("--help")
    assert result.returncode == 0 and result.stderr == ""
    assert "--version" in result.stdout and "--verbose" in result.stdout
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom sensequant_assets import cli\n"
            "try:\n    cli.main(['intraday', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'dagster', 'pandas', "
            "'duckdb', 'exchange_calendars'}))",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip().endswith("[]"), loaded.stdout


def test_version_names_the_package_and_dagster() -> None:
    result = sensequant("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("sensequant 0.1.0 (dagster 1.13.")


def test_dagster_beta_warnings_show_only_with_verbose(good_list: Path) -> None:
    """--launch loads the asset definitions, whose beta/preview API Dagster warns about; the
    webserver is unreachable, so the only line left is the error that says so."""
    args = ["intraday", str(good_list), *PLAN, "--launch", "--url", "http://127.0.0.1:9"]
    quiet = sensequant(*args)
    assert quiet.returncode == 1
    notices = [line for line in quiet.stderr.splitlines() if not line.startswith("skipped")]
    assert len(notices) == 1 and "cannot reach the Dagster webserver" in notices[0], quiet.stderr
    loud = sensequant("--verbose", *args)
    assert "is currently in beta" in loud.stderr or "is currently in preview" in loud.stderr


def test_intraday_names_the_list_lines_it_skips_as_backfill_does(
    good_list: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["intraday", str(good_list), *PLAN]) == 0
    err = capsys.readouterr().err
    assert f"skipped bad line {good_list}:2: " in err and "'not a symbol!'" in err


# Progress, on plain inputs.


def test_render_progress_counts_partitions_and_estimates_from_the_pace() -> None:
    progress = cli.Progress("REQUESTED", total=100, done=38, failed=2, running=4)
    line = cli.render_progress(progress, elapsed_s=120)
    assert line == (
        "40/100 partitions: 38 done, 2 failed, 4 running; 2m00s elapsed, ~3m00s remaining"
    )
    bar = cli.render_progress(progress, elapsed_s=120, bar_width=10)
    assert bar.startswith("[####......] 40/100 partitions")


def test_render_progress_before_any_partition_and_when_finished() -> None:
    started = cli.Progress("REQUESTED", total=12, running=3)
    assert "remaining unknown until a partition finishes" in cli.render_progress(started, 5)
    assert cli.render_progress(started, 5, bar_width=4).startswith("[....] 0/12")
    done = cli.Progress("COMPLETED_FAILED", total=12, done=11, failed=1)
    assert cli.render_progress(done, 7300).endswith("2h01m elapsed, finished")
    empty = cli.Progress("REQUESTED")
    assert cli.render_progress(empty, 0, bar_width=3).startswith("[...] 0/0 partitions")


def test_progress_sums_partitioned_and_unpartitioned_assets() -> None:
    answer = {
        "status": "REQUESTED",
        "assetBackfillData": {
            "assetBackfillStatuses": [
                {
                    "__typename": "AssetPartitionsStatusCounts",
                    "numPartitionsTargeted": 6,
                    "numPartitionsInProgress": 1,
                    "numPartitionsMaterialized": 4,
                    "numPartitionsFailed": 1,
                },
                {
                    "__typename": "UnpartitionedAssetStatus",
                    "inProgress": True,
                    "materialized": False,
                    "failed": False,
                },
            ]
        },
    }
    assert cli.Progress.from_graphql(answer) == cli.Progress("REQUESTED", 7, 4, 1, 2)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_one_live_bar_and_a_log_gets_a_line_per_change() -> None:
    steps = [
        (cli.Progress("REQUESTED", 4, 0, 0, 2), 1.0),
        (cli.Progress("REQUESTED", 4, 0, 0, 2), 3.0),
        (cli.Progress("REQUESTED", 4, 2, 0, 2), 5.0),
        (cli.Progress("COMPLETED_SUCCESS", 4, 4, 0, 0), 9.0),
    ]
    terminal, log = Terminal(), io.StringIO()
    live, plain = cli.ProgressPrinter(terminal, bar_width=4), cli.ProgressPrinter(log)
    for progress, elapsed in steps:
        live(progress, elapsed)
        plain(progress, elapsed)
    live.close()
    plain.close()
    assert terminal.getvalue().count("\r") == 4 and terminal.getvalue().endswith("\n")
    assert "\r[####] 4/4 partitions" in terminal.getvalue()
    lines = log.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "0/4 partitions",
        "2/4 partitions",
        "4/4 partitions",
    ]
    assert "\r" not in log.getvalue()


# Progress, end to end: the real command against a stand-in of the webserver's GraphQL API.


class JsonAnswers(BaseHTTPRequestHandler):
    """A stand-in of the webserver's /graphql: subclasses answer POSTs with `answer`."""

    def answer(self, status: int, payload: dict[str, object]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def serving(handler: type[JsonAnswers]) -> Iterator[str]:
    """`handler` on a free port of 127.0.0.1, as a webserver URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture
def webserver() -> Iterator[str]:
    """Answers `retry` with backfill NEW, whose partitions then finish one poll at a time."""
    polls = iter([(0, 0, 3), (1, 0, 2), (2, 1, 0)] + [(2, 1, 0)] * 100)

    class GraphQL(JsonAnswers):
        def do_POST(self) -> None:
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["query"]
            if "reexecutePartitionBackfill" in query:
                data = {
                    "reexecutePartitionBackfill": {
                        "__typename": "LaunchBackfillSuccess",
                        "backfillId": "NEW",
                    }
                }
            else:
                done, failed, running = next(polls)
                status = "REQUESTED" if running or done + failed < 3 else "COMPLETED_FAILED"
                counts = {
                    "__typename": "AssetPartitionsStatusCounts",
                    "numPartitionsTargeted": 3,
                    "numPartitionsInProgress": running,
                    "numPartitionsMaterialized": done,
                    "numPartitionsFailed": failed,
                }
                data = {
                    "partitionBackfillOrError": {
                        "__typename": "PartitionBackfill",
                        "status": status,
                        "assetBackfillData": {"assetBackfillStatuses": [counts]},
                    }
                }
            self.answer(200, {"data": data})

    with serving(GraphQL) as url:
        yield url


def test_retry_wait_prints_a_progress_line_per_change_when_not_on_a_terminal(
    webserver: str,
) -> None:
    result = sensequant("retry", "OLD", "--url", webserver, "--wait")
    assert result.returncode == 1  # one partition failed
    lines = result.stdout.splitlines()
    assert lines[0].startswith("backfill OLD: its failed partitions re-run as backfill NEW")
    progress = [line.split(";")[0] for line in lines[1:-1]]
    assert progress == [
        "0/3 partitions: 0 done, 0 failed, 3 running",
        "1/3 partitions: 1 done, 0 failed, 2 running",
        "3/3 partitions: 2 done, 1 failed, 0 running",
    ]
    assert lines[-2].endswith("elapsed, finished") and lines[-1] == "backfill NEW: COMPLETED_FAILED"
    assert "`sensequant retry NEW`" in result.stderr and "\r" not in result.stdout


# `sensequant lists add`: the documented way a deployment's lists reach the watched folder.


@pytest.fixture
def lists_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "constituents"
    monkeypatch.setenv("SENSEQUANT_CONSTITUENTS_DIR", str(folder))
    return folder


def test_lists_add_copies_a_valid_list_whole_under_its_name(
    lists_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "nifty_it.txt"
    source.write_bytes(b"# IT names\nTCS\nINFY  # Infosys\n")
    assert cli.main(["lists", "add", str(source)]) == 0
    assert (lists_dir / "nifty_it.txt").read_bytes() == source.read_bytes()
    assert sorted(p.name for p in lists_dir.iterdir()) == ["nifty_it.txt"]  # no partial file


def test_lists_add_reads_stdin_under_the_name_given(
    lists_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"RELIANCE\n")))
    assert cli.main(["lists", "add", "-", "--name", "energy"]) == 0
    assert (lists_dir / "energy.txt").read_bytes() == b"RELIANCE\n"


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"TCS\nnot a symbol!\n", "x", "1 bad line(s), first"),
        (b"# only a comment\n", "x", "lists no symbol"),
        (b"\xff\xfeT\x00", "x", "UTF-16 text"),
        (b"TCS\n", "../outside", "is not a list name"),
        (b"TCS\n", ".hidden", "is not a list name"),
    ],
)
def test_lists_add_refuses_a_bad_list_and_writes_nothing(
    content: bytes,
    name: str,
    expected: str,
    lists_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "given.txt"
    source.write_bytes(content)
    assert cli.main(["lists", "add", str(source), "--name", name]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("sensequant lists: error:") and expected in line
    assert not lists_dir.exists() or list(lists_dir.iterdir()) == []
    assert not (tmp_path / "outside.txt").exists()


def test_lists_add_keeps_a_taken_name_unless_told_to_replace(
    lists_dir: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("TCS\n")
    second.write_text("INFY\n")
    assert cli.main(["lists", "add", str(first), "--name", "it"]) == 0
    assert cli.main(["lists", "add", str(first), "--name", "it"]) == 0  # the same list again
    assert cli.main(["lists", "add", str(second), "--name", "it"]) == 2
    assert (lists_dir / "it.txt").read_text() == "TCS\n"
    assert cli.main(["lists", "add", str(second), "--name", "it", "--replace"]) == 0
    assert (lists_dir / "it.txt").read_text() == "INFY\n"


# Progress of the long commands that work here, not through a backfill: `migrate-to-lake` and
# `snapshots publish` count partitions as `--wait` does.


def test_a_long_command_prints_a_line_per_partition_count_or_draws_one_bar(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log, terminal = io.StringIO(), Terminal()
    for out in (log, terminal):
        progress = cli.CountProgress(out)
        progress(0, 3)
        progress(1, 3)
        progress.say("daily_bars: 9 rows copied")
        progress(3, 3)
        progress.printer.close()
    lines = log.getvalue().splitlines()
    assert [line.split(";")[0] for line in lines] == [
        "0/3 partitions: 0 done, 0 failed, 1 running",
        "1/3 partitions: 1 done, 0 failed, 1 running",
        "3/3 partitions: 3 done, 0 failed, 0 running",
    ]
    assert "remaining unknown" in lines[0] and "remaining" in lines[1]
    assert lines[-1].endswith("elapsed, finished") and "\r" not in log.getvalue()
    drawn = terminal.getvalue()
    assert drawn.count("\r") == 4 and drawn.endswith("\n")  # 3 bars, 1 cleared for the line
    assert f"\r[{'#' * 30}] 3/3 partitions" in drawn
    assert capsys.readouterr().out == "daily_bars: 9 rows copied\n" * 2


def test_snapshots_publish_reports_its_progress_in_plain_lines(tmp_path: Path) -> None:
    warehouse = WarehouseResource(database=str(tmp_path / "warehouse.duckdb"))
    seed_bars(warehouse)
    done = sensequant("snapshots", "publish", env={"SENSEQUANT_WAREHOUSE": warehouse.database})
    assert done.returncode == 0, done.stderr
    total = sum(
        int(line.split(": ")[1].split()[0])
        for line in done.stdout.splitlines()
        if "file(s)" in line
    )
    shown = [line for line in done.stderr.splitlines() if " partitions: " in line]
    assert total and shown[0].startswith(f"0/{total} partitions: 0 done")
    assert shown[-1].startswith(f"{total}/{total} partitions: {total} done")
    assert shown[-1].endswith("finished") and "\r" not in done.stderr
    assert " partitions: " not in done.stdout  # stdout keeps only what was published


def test_a_request_the_webserver_refuses_says_why_not_that_it_is_unreachable() -> None:
    """Dagster's webserver answers a document or variables it cannot run with HTTP 400 and
    GraphQL errors; the error names the refusal, not a webserver to start."""
    message = "Variable '$id' of required type 'String!' was not provided."

    class Refusing(JsonAnswers):
        def do_POST(self) -> None:
            self.answer(400, {"errors": [{"message": message}]})

    with serving(Refusing) as url, pytest.raises(cli.GraphQLError) as refused:
        cli.graphql(url, "query($id: String!) { version }", {})
    assert str(refused.value) == f"{url}/graphql refused the request (HTTP 400): {message}"
