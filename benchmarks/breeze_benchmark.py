"""Breeze ingestion cost, measured on the stand-in server with the rate limit scaled down.

Run: `python -m benchmarks.breeze_benchmark`. It ingests symbol-years through
the real client and the shared limiter at `calls_per_window` per `window_seconds`, checks the
limiter model (the first window's calls go at once, then one window per further batch) against
the measured wall time, and projects a 100-symbol x 3-year ingestion at ICICI's 100 calls a minute.
"""

import json
import math
import tempfile
import time
from pathlib import Path

from sensequant_assets_tests.sources.breeze.conftest import standin_source
from sensequant_assets_tests.sources.breeze.standin_server import BENCHMARK_SYMBOLS, StandinBreeze

ICICI_CALLS_PER_MINUTE = 100


def limiter_bound_seconds(calls: int, calls_per_window: int, window_seconds: float) -> float:
    """Least wall time the limiter allows for `calls` calls made one after another."""
    return max(0, math.ceil(calls / calls_per_window) - 1) * window_seconds


def measure(
    symbols: int = 12,
    years: tuple[int, ...] = (2022, 2023, 2024),
    calls_per_window: int = 10,
    window_seconds: float = 2.0,
) -> dict[str, float | int]:
    server = StandinBreeze.shared()
    server.reset()
    with tempfile.TemporaryDirectory() as tmp:
        source = standin_source(
            server,
            Path(tmp),
            calls_per_minute=calls_per_window,
            rate_window_seconds=window_seconds,
        )
        start = time.perf_counter()
        mappings = [source.lookup(symbol, symbol) for symbol in BENCHMARK_SYMBOLS[:symbols]]
        results = [source.fetch_year(mapping, year) for mapping in mappings for year in years]
        wall = time.perf_counter() - start
        api_calls = len(server.calls)  # the login and every historicalcharts call
        historical = len(server.historical_calls())
        rerun_start = time.perf_counter()
        rerun = [source.fetch_year(mapping, year) for mapping in mappings for year in years]
        rerun_wall = time.perf_counter() - rerun_start
    symbol_years = symbols * len(years)
    waited = sum(float(r.stats["limiter_wait_seconds"]) for r in results)
    per_call = (wall - waited) / api_calls
    per_symbol_year = historical / symbol_years
    full_calls = math.ceil(100 * 3 * per_symbol_year) + 1
    return {
        "symbol_years": symbol_years,
        "rows": sum(len(r.bars) for r in results),
        "api_calls_per_symbol_year": round(per_symbol_year, 3),
        "scaled_limit": f"{calls_per_window} calls / {window_seconds:g} s",
        "scaled_wall_seconds": round(wall, 2),
        "scaled_limiter_model_seconds": limiter_bound_seconds(
            api_calls, calls_per_window, window_seconds
        ),
        "limiter_wait_seconds": round(waited, 2),
        "local_seconds_per_call": round(per_call, 4),
        "rerun_api_calls": len(server.historical_calls()) - historical,
        "rerun_cache_hits": sum(int(r.stats["cache_hits"]) for r in rerun),
        "rerun_wall_seconds": round(rerun_wall, 2),
        "projected_100x3_calls": full_calls,
        "projected_100x3_seconds_at_100_per_minute": limiter_bound_seconds(
            full_calls, ICICI_CALLS_PER_MINUTE, 60.0
        ),
        "projected_100x3_seconds_original_4_2_calls": limiter_bound_seconds(
            math.ceil(100 * 3 * 4.2) + 1, ICICI_CALLS_PER_MINUTE, 60.0
        ),
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
