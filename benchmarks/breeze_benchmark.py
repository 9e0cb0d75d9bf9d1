"""Breeze ingestion cost, measured on the stand-in server with the rate window shortened.

Run: `python -m benchmarks.breeze_benchmark`. Method:

- Workload: the ingestion asset's, at NIFTY 100 size: 100 stand-in symbols x 2022-2024, one
  `fetch_years` per symbol, through the real breeze_connect client and the shared limiter.
- Server: the stand-in enforces ICICI's 100 calls per window on *arrivals* (HTTP 429 beyond it)
  with the 60 s window shortened to `window_seconds`, and adds network latency (a uniform delay
  each way). The source runs the same limit and its default 2 % margin on the same window.
- Re-run: the same fetches again, counting the calls the server sees.
- Baseline: one call per symbol-year (`fetch_year` per year, how the source asked before), counted
  at the server in a fresh cache, without a rate limit (the count does not depend on it).
- Projection to 60 s: a model of the limiter (calls one after another, each taking the measured
  active time; call n starts no sooner than window + margin after call n - limit ended). The same
  model at the shortened window is compared with the measured wall time.
"""

import json
import tempfile
import time
from pathlib import Path

from sensequant_assets.sources.base import FetchResult
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets_tests.support.standin_breeze import (
    BENCHMARK_SYMBOLS,
    StandinBreeze,
    standin_source,
)

ICICI_CALLS_PER_MINUTE = 100
ICICI_WINDOW_SECONDS = 60.0
MARGIN_PERCENT = BreezeSource.model_fields["rate_margin_percent"].default
YEARS = (2022, 2023, 2024)


def limiter_model_seconds(calls: int, active: float, per_window: int, window: float) -> float:
    """Wall time of `calls` calls one after another under the limiter, each `active` s long."""
    span = window * (1 + MARGIN_PERCENT / 100)
    ends: list[float] = []
    clock = 0.0
    for n in range(calls):
        start = clock if n < per_window else max(clock, ends[n - per_window] + span)
        clock = start + active
        ends.append(clock)
    return clock


def _fetch_all(source: BreezeSource, symbols: tuple[str, ...]) -> dict[int, list[FetchResult]]:
    """Each symbol's years in one `fetch_years`, as the ingestion asset asks; errors raised."""
    results: dict[int, list[FetchResult]] = {year: [] for year in YEARS}
    for symbol in symbols:
        for year, answer in source.fetch_years(source.lookup(symbol, symbol), YEARS).items():
            if isinstance(answer, Exception):
                raise answer
            results[year].append(answer)
    return results


def measure(
    symbols: int = 100,
    calls_per_window: int = ICICI_CALLS_PER_MINUTE,
    window_seconds: float = 15.0,
    latency: tuple[float, float] = (0.01, 0.06),
) -> dict[str, float | int | str]:
    server = StandinBreeze.shared()
    names = BENCHMARK_SYMBOLS[:symbols]
    with tempfile.TemporaryDirectory() as tmp:
        server.reset()
        server.limit_rate(calls_per_window, window_seconds)
        server.set_latency(*latency)
        source = standin_source(
            server,
            Path(tmp) / "batched",
            calls_per_minute=calls_per_window,
            rate_window_seconds=window_seconds,
            max_retries=0,  # a 429 fails the benchmark instead of hiding behind a retry
        )
        start = time.perf_counter()
        results = _fetch_all(source, names)
        wall = time.perf_counter() - start
        api_calls = len(server.calls)  # the login and every historicalcharts call
        historical = len(server.historical_calls())
        rate_limited = len(server.rate_limited_calls())
        rerun_start = time.perf_counter()
        rerun = _fetch_all(source, names)
        rerun_wall = time.perf_counter() - rerun_start
        rerun_calls = len(server.calls) - api_calls

        server.reset()
        unlimited = {"calls_per_minute": 10**6, "calls_per_day": 10**6}
        one_per_year = standin_source(server, Path(tmp) / "one-per-year", **unlimited)
        for symbol in names:
            mapping = one_per_year.lookup(symbol, symbol)
            for year in YEARS:
                one_per_year.fetch_year(mapping, year)
        baseline_calls = len(server.calls)
        server.reset()
    symbol_years = symbols * len(YEARS)
    # The years of one call share its counters: count each call once, on its first year.
    waited = sum(float(r.stats["limiter_wait_seconds"]) for r in results[YEARS[0]])
    active = (wall - waited) / api_calls
    full_calls = round(100 * 3 * historical / symbol_years) + 1
    full_baseline_calls = round(100 * 3 * (baseline_calls - 1) / symbol_years) + 1
    return {
        "symbol_years": symbol_years,
        "rows": sum(len(r.bars) for year in YEARS for r in results[year]),
        "api_calls": api_calls,
        "api_calls_per_symbol_year": round(historical / symbol_years, 3),
        "baseline_calls_per_symbol_year": round((baseline_calls - 1) / symbol_years, 3),
        "server_429s": rate_limited,
        "scaled_limit": f"{calls_per_window} calls / {window_seconds:g} s",
        "latency": f"{latency[0] * 1000:g}-{latency[1] * 1000:g} ms each way",
        "scaled_wall_seconds": round(wall, 2),
        "scaled_model_seconds": round(
            limiter_model_seconds(api_calls, active, calls_per_window, window_seconds), 2
        ),
        "limiter_wait_seconds": round(waited, 2),
        "active_seconds_per_call": round(active, 4),
        "rerun_api_calls": rerun_calls,
        "rerun_cache_hits": sum(int(r.stats["cache_hits"]) for year in YEARS for r in rerun[year]),
        "rerun_wall_seconds": round(rerun_wall, 2),
        "projected_100x3_calls": full_calls,
        "projected_100x3_seconds_at_100_per_minute": round(
            limiter_model_seconds(full_calls, active, ICICI_CALLS_PER_MINUTE, ICICI_WINDOW_SECONDS),
            1,
        ),
        "projected_100x3_baseline_calls": full_baseline_calls,
        "projected_100x3_baseline_seconds": round(
            limiter_model_seconds(
                full_baseline_calls, active, ICICI_CALLS_PER_MINUTE, ICICI_WINDOW_SECONDS
            ),
            1,
        ),
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
