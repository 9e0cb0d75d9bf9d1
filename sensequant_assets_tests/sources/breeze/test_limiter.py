"""The installation-wide rate limiter, alone and shared by two processes on the stand-in server."""

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from sensequant_assets.paths import REPO_ROOT
from sensequant_assets.sources.breeze.limiter import DailyBudgetExhaustedError, RateLimiter
from sensequant_assets.sources.breeze.source import BreezeSource

from .conftest import standin_source
from .standin_server import BENCHMARK_SYMBOLS, StandinBreeze


def _max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(
        sum(1 for later in times[i:] if later - start < window) for i, start in enumerate(times)
    )


def test_limiter_waits_once_the_window_is_full(tmp_path: Path) -> None:
    limiter = RateLimiter(tmp_path / "limiter.sqlite", calls_per_window=3, window_seconds=0.4)

    waits = [limiter.acquire() for _ in range(7)]

    with closing(sqlite3.connect(limiter.path)) as conn:
        recorded = [at for (at,) in conn.execute("SELECT at FROM calls")]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] > 0
    assert len(recorded) == 7
    assert _max_in_window(recorded, 0.4) <= 3


def test_daily_budget_fails_instead_of_blocking(tmp_path: Path) -> None:
    limiter = RateLimiter(
        tmp_path / "limiter.sqlite", calls_per_day=2, day_seconds=3600, max_wait_seconds=1
    )
    limiter.acquire()
    limiter.acquire()

    with pytest.raises(DailyBudgetExhaustedError, match="2 calls in the last 1 h"):
        limiter.acquire()


# A worker process: log in, then fetch one past year for each symbol given on the command line.
_WORKER = """
import json, sys
from pathlib import Path
from sensequant_assets.sources.breeze.source import BreezeSource
settings = json.loads(sys.argv[1])
source = BreezeSource(**settings)
waited = 0.0
for symbol in sys.argv[2:]:
    result = source.fetch_year(source.lookup(symbol, symbol), 2024)
    assert len(result.bars) > 200, result.stats
    waited += float(result.stats["limiter_wait_seconds"])
print(json.dumps({"limiter_wait_seconds": waited}))
"""

CALLS_PER_WINDOW = 4
WINDOW_SECONDS = 1.5
# Calls are stamped by the limiter before they are sent and by the server when they arrive;
# the server checks a window shorter by this slack so that loopback latency cannot flake it.
SLACK_SECONDS = 0.5


@pytest.mark.timeout(60)
def test_two_processes_share_the_limit(breeze_server: StandinBreeze, tmp_path: Path) -> None:
    source: BreezeSource = standin_source(
        breeze_server,
        tmp_path / "shared-cache",
        calls_per_minute=CALLS_PER_WINDOW,
        rate_window_seconds=WINDOW_SECONDS,
    )
    settings = json.dumps(source.model_dump())
    halves = (BENCHMARK_SYMBOLS[:4], BENCHMARK_SYMBOLS[4:8])
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, settings, *symbols],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for symbols in halves
    ]
    outputs = [worker.communicate(timeout=50) for worker in workers]

    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    waited = sum(json.loads(out.splitlines()[-1])["limiter_wait_seconds"] for out, _ in outputs)
    times = breeze_server.api_call_times()
    assert len(breeze_server.historical_calls()) == 8
    assert len(times) == 10  # two logins and eight symbol-years, all through the limiter
    assert _max_in_window(times, WINDOW_SECONDS - SLACK_SECONDS) <= CALLS_PER_WINDOW
    assert waited > 0
    assert not (tmp_path / "logs").exists()  # breeze's log files went to the cache folder
