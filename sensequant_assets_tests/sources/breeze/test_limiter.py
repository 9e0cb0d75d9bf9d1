"""The installation-wide rate limiter, alone, across processes, and measured at the stand-in server,
which counts arrivals per rolling window and answers 429 beyond its limit, as the real one does."""

import base64
import datetime as dt
import json
import os
import pickle
import re
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
import requests

from sensequant_assets.market.calendar import IST
from sensequant_assets.paths import REPO_ROOT
from sensequant_assets.sources.breeze.limiter import DailyBudgetExhaustedError, RateLimiter
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets_tests.support.standin_breeze import (
    API_KEY,
    BENCHMARK_SYMBOLS,
    SESSION_KEY,
    USER_ID,
    StandinBreeze,
    standin_source,
)


def _max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(
        sum(1 for later in times[i:] if later - start < window) for i, start in enumerate(times)
    )


def _done_stamps(limiter: RateLimiter) -> list[float]:
    with closing(sqlite3.connect(limiter.path)) as conn:
        return [done for (done,) in conn.execute("SELECT done FROM api_calls")]


def _run_python(code: str, *args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_limiter_waits_once_the_window_is_full(tmp_path: Path) -> None:
    limiter = RateLimiter(tmp_path / "limiter.sqlite", calls_per_window=3, window_seconds=0.4)

    waits = []
    for _ in range(7):
        with limiter.slot() as waited:
            waits.append(waited)

    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] > 0
    assert _max_in_window(_done_stamps(limiter), 0.4) <= 3


def test_a_call_counts_from_when_its_answer_is_back_and_in_flight_as_now(tmp_path: Path) -> None:
    """A slow call arrives late: the next call in a full window waits for its end, not its start."""
    limiter = RateLimiter(
        tmp_path / "limiter.sqlite", calls_per_window=1, window_seconds=0.3, margin_seconds=0.05
    )
    started: dict[str, float] = {}

    def second_call() -> None:
        with limiter.slot():
            started["second"] = time.time()

    with limiter.slot():
        time.sleep(0.1)  # the second call asks while the first is still in flight ...
        waiter = threading.Thread(target=second_call)
        waiter.start()
        time.sleep(0.3)  # ... and still may not go once the first call's start is 0.4 s old
        assert "second" not in started
    first_done = max(_done_stamps(limiter))
    waiter.join(timeout=5)

    assert started["second"] >= first_done + 0.3 + 0.05


def test_calls_recorded_by_an_older_limiter_still_count(tmp_path: Path) -> None:
    path = tmp_path / "limiter.sqlite"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE calls (at REAL NOT NULL)")
        conn.executemany("INSERT INTO calls (at) VALUES (?)", [(time.time(),)] * 2)
        conn.commit()
    limiter = RateLimiter(path, calls_per_day=2, max_wait_seconds=1)

    with pytest.raises(DailyBudgetExhaustedError), limiter.slot():
        pass


# A worker process: take `n` slots of the shared limiter, as another Dagster run would.
_TAKE_SLOTS = """
import sys
from pathlib import Path
from sensequant_assets.sources.breeze.limiter import RateLimiter
limiter = RateLimiter(Path(sys.argv[1]), calls_per_day=3, max_wait_seconds=1)
for _ in range(int(sys.argv[2])):
    with limiter.slot():
        pass
"""


def test_daily_budget_holds_across_processes_and_restarts(tmp_path: Path) -> None:
    path = tmp_path / "limiter.sqlite"
    for worker in [_run_python(_TAKE_SLOTS, str(path), n, cwd=tmp_path) for n in ("2", "1")]:
        assert worker.wait(timeout=60) == 0, worker.stderr.read() if worker.stderr else ""
    first_done = min(_done_stamps(RateLimiter(path)))
    restarted = RateLimiter(path, calls_per_day=3, max_wait_seconds=1)

    started = time.monotonic()
    with pytest.raises(DailyBudgetExhaustedError) as failure, restarted.slot():
        pass

    assert time.monotonic() - started < 1  # no waiting, no retry loop
    expected = dt.datetime.fromtimestamp(first_done + 86_400, IST)
    assert abs((failure.value.resume_at - expected).total_seconds()) < 1
    assert failure.value.resume_at.tzinfo == IST
    assert f"next call is allowed at {expected:%Y-%m-%d %H:%M} IST" in str(failure.value)
    assert len(_done_stamps(restarted)) == 3
    assert pickle.loads(pickle.dumps(failure.value)).resume_at == failure.value.resume_at


def test_standin_answers_429_beyond_its_limit_in_a_rolling_window(
    breeze_server: StandinBreeze,
) -> None:
    """The stand-in really enforces what the limiter is tested against."""
    breeze_server.limit_rate(3, 0.5)
    token = base64.b64encode(f"{USER_ID}:{SESSION_KEY}".encode()).decode()
    query = {
        "interval": "1day",
        "from_date": "2024-01-01T00:00:00.000Z",
        "to_date": "2024-01-31T00:00:00.000Z",
        "stock_code": "TCS",
        "exch_code": "NSE",
        "product_type": "cash",
    }

    def ask() -> requests.Response:
        return requests.get(
            f"{breeze_server.historical_url}historicalcharts",
            params=query,
            headers={"X-SessionToken": token, "apikey": API_KEY},
            timeout=5,
        )

    answers = [ask() for _ in range(4)]
    time.sleep(0.5)
    later = ask()

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json() == {"Success": None, "Status": 429, "Error": "Too many requests"}
    assert later.status_code == 200
    assert len(breeze_server.rate_limited_calls()) == 1


def test_a_batch_over_the_daily_budget_stops_saying_when_it_can_resume(
    breeze_server: StandinBreeze, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    source = standin_source(breeze_server, cache, calls_per_day=3)  # a login and two calls
    mappings = [source.lookup(symbol, symbol) for symbol in BENCHMARK_SYMBOLS[:4]]

    started = time.monotonic()
    results = [source.fetch_years(mapping, [2023, 2024]) for mapping in mappings]
    elapsed = time.monotonic() - started

    assert [isinstance(r[2023], Exception) for r in results] == [False, False, True, True]
    refused = results[2][2024]
    assert isinstance(refused, DailyBudgetExhaustedError)
    assert re.search(r"next call is allowed at \d{4}-\d\d-\d\d \d\d:\d\d IST", str(refused))
    assert refused.resume_at > dt.datetime.now(IST) + dt.timedelta(hours=23)
    assert len(breeze_server.historical_calls()) == 2
    assert elapsed < 5  # it stopped; it did not sleep on the budget or retry in a loop

    restarted = standin_source(breeze_server, cache, calls_per_day=3)
    again = restarted.fetch_years(mappings[3], [2023, 2024])
    assert all(isinstance(r, DailyBudgetExhaustedError) for r in again.values())
    assert len(breeze_server.historical_calls()) == 2


# A worker process: log in, then fetch one past year per call for each symbol given.
_WORKER = """
import json, sys
from sensequant_assets.sources.breeze.source import BreezeSource
settings = json.loads(sys.argv[1])
source = BreezeSource(**settings)
waited = 0.0
for symbol in sys.argv[2:]:
    mapping = source.lookup(symbol, symbol)
    for year in (2022, 2023, 2024):
        result = source.fetch_year(mapping, year)
        assert len(result.bars) > 200, result.stats
        waited += float(result.stats["limiter_wait_seconds"])
print(json.dumps({"limiter_wait_seconds": waited}))
"""

# 300 calls at 50 a window take at least six windows (24 s); two processes fill each window as
# long as they manage more than 12.5 calls a second together, even on a loaded machine.
CALLS_PER_WINDOW = 50
WINDOW_SECONDS = 4.0


@pytest.mark.timeout(90)
def test_300_calls_from_two_processes_sharing_a_key_get_no_429(
    breeze_server: StandinBreeze, tmp_path: Path
) -> None:
    """Two processes, one limiter file, network latency: the server never sees 101 in a window."""
    breeze_server.limit_rate(CALLS_PER_WINDOW, WINDOW_SECONDS)
    breeze_server.set_latency(0.0, 0.02)
    source: BreezeSource = standin_source(
        breeze_server,
        tmp_path / "shared-cache",
        calls_per_minute=CALLS_PER_WINDOW,
        rate_window_seconds=WINDOW_SECONDS,
        max_retries=0,  # a 429 would fail the worker, not hide behind a retry
    )
    settings = json.dumps(source.model_dump())
    halves = (BENCHMARK_SYMBOLS[:50], BENCHMARK_SYMBOLS[50:])
    workers = [_run_python(_WORKER, settings, *symbols, cwd=tmp_path) for symbols in halves]
    outputs = [worker.communicate(timeout=80) for worker in workers]

    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-3000:]
    waited = sum(json.loads(out.splitlines()[-1])["limiter_wait_seconds"] for out, _ in outputs)
    arrivals = breeze_server.api_call_times()
    assert len(breeze_server.historical_calls()) == 300
    assert len(arrivals) == 302  # two logins and 300 symbol-years, all through the limiter
    assert breeze_server.rate_limited_calls() == []
    assert _max_in_window(arrivals, WINDOW_SECONDS) <= CALLS_PER_WINDOW
    assert waited > 0  # the limit was reached, so the margin was tested, not idle
    assert not (tmp_path / "logs").exists()  # breeze's log files went to the cache folder


class _Clock:
    """A clock the test moves; the limiter reads it instead of the system's."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_the_reserve_is_left_to_daily_calls_and_the_state_says_so(tmp_path: Path) -> None:
    clock = _Clock(1_750_000_000.0)
    limiter = RateLimiter(tmp_path / "limiter.sqlite", calls_per_day=5, reserve=2, clock=clock)
    assert limiter.budget_state().left_for_intraday == 3
    for _ in range(3):
        with limiter.slot("bulk"):
            clock.now += 1
    state = limiter.budget_state()
    assert (state.used, state.cap, state.reserved, state.left_for_intraday) == (3, 5, 2, 0)
    first_done = 1_750_000_001.0
    assert state.resume_at == dt.datetime.fromtimestamp(first_done + 86_400, IST)
    with (
        pytest.raises(DailyBudgetExhaustedError, match="the 2 reserved") as refused,
        limiter.slot("bulk"),
    ):
        pass
    assert refused.value.resume_at == state.resume_at
    for _ in range(2):  # the daily refresh still has its two calls
        with limiter.slot("daily"):
            pass
    with pytest.raises(DailyBudgetExhaustedError), limiter.slot("daily"):
        pass
    clock.now = first_done + 86_400 + 3  # a day later the first calls have left the window
    assert limiter.budget_state().left_for_intraday >= 1
    with limiter.slot("bulk"):
        pass


def test_the_state_reads_without_creating_anything(tmp_path: Path) -> None:
    limiter = RateLimiter(tmp_path / "none" / "limiter.sqlite", reserve=200)
    state = limiter.budget_state()
    assert (state.used, state.left_for_intraday, state.resume_at) == (0, 4800, None)
    assert not limiter.path.exists()
    assert "4800 left for intraday" in str(state)
