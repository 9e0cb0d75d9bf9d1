"""Synthetic bars for the teacher tests, on the real NSE sessions.

`random_walk_bars` is the null: nothing about the future can be learned from the past.
`planted_signal_bars` is the alternative: a hidden state that the volume reveals drives the next
sessions' returns, so a model that reads the volume feature can learn it.
"""

import numpy as np
import pandas as pd

from sensequant_assets.market.calendar import sessions_in_year

YEARS = (2022, 2023, 2024)
DAILY_VOL = 0.017
DRIFT = 0.0004
# Persistence of the planted hidden state: its effect on returns lasts a few sessions, as the
# label's horizon does.
SIGNAL_AR = 0.9


def _sessions(years: tuple[int, ...], dates: pd.DatetimeIndex | None) -> pd.DatetimeIndex:
    if dates is not None:
        return dates
    return pd.to_datetime([day for year in years for day in sessions_in_year(year)])


def _bars(
    symbol: str, dates: pd.DatetimeIndex, close: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Consistent OHLC bars (low <= open, close <= high) around the given closes; the caller
    adds volume and source."""
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
        }
    )


def random_walk_bars(
    symbol: str, seed: int, years: tuple[int, ...] = YEARS, dates: pd.DatetimeIndex | None = None
) -> pd.DataFrame:
    """A seeded geometric random walk with independent volume, on every XBOM session of `years`,
    or on `dates` where given (the GPU check runs where the exchange calendar is not installed)."""
    dates = _sessions(years, dates)
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(DRIFT, DAILY_VOL, len(dates))))
    bars = _bars(symbol, dates, close, rng)
    return bars.assign(volume=rng.integers(10_000, 1_000_000, len(dates)), source="synthetic")


def hidden_state(seed: int, n: int) -> np.ndarray:
    """The planted signal's state x_t: a unit-variance Gaussian AR(1) with `SIGNAL_AR`."""
    rng = np.random.default_rng([seed, 1])
    state = np.empty(n)
    state[0] = rng.standard_normal()
    shocks = rng.standard_normal(n) * np.sqrt(1 - SIGNAL_AR**2)
    for t in range(1, n):
        state[t] = SIGNAL_AR * state[t - 1] + shocks[t]
    return state


def planted_signal_bars(
    symbol: str, seed: int, strength: float, years: tuple[int, ...] = YEARS
) -> pd.DataFrame:
    """Bars whose returns a model can learn to predict from the volume.

    The hidden state x_t (`hidden_state`) sets the session's volume, log volume = 12 + 0.5 x_t +
    0.1 noise, and the drift of the next session's log return, DRIFT + strength * DAILY_VOL *
    x_{t-1}, on top of the walk's own DAILY_VOL noise. x is persistent, so a high relative volume
    at t announces higher returns over the following H sessions, which the label spans.
    """
    dates = _sessions(years, None)
    rng = np.random.default_rng(seed)
    state = hidden_state(seed, len(dates))
    drift = DRIFT + strength * DAILY_VOL * np.r_[0.0, state[:-1]]
    close = 100.0 * np.exp(np.cumsum(drift + rng.normal(0.0, DAILY_VOL, len(dates))))
    volume = np.round(np.exp(12.0 + 0.5 * state + 0.1 * rng.standard_normal(len(dates))))
    return _bars(symbol, dates, close, rng).assign(
        volume=volume.astype("int64"), source="synthetic"
    )
