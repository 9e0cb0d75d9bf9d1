"""Synthetic bars for the teacher tests: a seeded random walk on the real NSE sessions."""

import numpy as np
import pandas as pd

from sensequant_assets.market.calendar import sessions_in_year

YEARS = (2022, 2023, 2024)


def random_walk_bars(
    symbol: str, seed: int, years: tuple[int, ...] = YEARS, dates: pd.DatetimeIndex | None = None
) -> pd.DataFrame:
    """Consistent OHLCV bars (low <= open, close <= high) on every XBOM session of `years`, or on
    `dates` where given (the GPU check runs where the exchange calendar is not installed)."""
    if dates is None:
        dates = pd.to_datetime([day for year in years for day in sessions_in_year(year)])
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0004, 0.017, len(dates))))
    open_ = close * np.exp(rng.normal(0.0, 0.005, len(dates)))
    high = np.maximum(open_, close) * (1.0 + rng.uniform(0.0, 0.01, len(dates)))
    low = np.minimum(open_, close) * (1.0 - rng.uniform(0.0, 0.01, len(dates)))
    return pd.DataFrame(
        {
            "symbol": symbol,
            "date": dates,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": rng.integers(10_000, 1_000_000, len(dates)),
            "source": "synthetic",
        }
    )
