"""Synthetic intraday candles that agree with the synthetic daily bars, defects planted on purpose.

A day's one-minute path is a Brownian bridge from the daily open to the daily close, scaled into
the day's low-high range and held on the 0.05 tick; one candle reaches the daily high and one the
daily low, and the daily volume is split over the minutes (U-shaped, as NSE volume is) so that it
sums exactly. Coarser intervals are aggregated from those minutes, so 5minute and 30minute agree
with 1minute. Everything is deterministic in (seed, symbol, day): a month's candles do not depend
on which other months were asked. The planted intraday defects (scenario `intraday_*` keys) each
break one check only: a missing half hour folds its volume and range into the next candle, a
candle after the close takes half the last candle's volume at the close price, and a volume
mismatch scales that day's volumes.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sensequant_assets.market.calendar import IST, KnownDays
from sensequant_assets.market.intraday import session_candles

TICK = 0.05
HALF_HOUR = pd.Timedelta(minutes=30)


def day_minutes(bar: pd.Series, stamps: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DataFrame:
    """One-minute candles at `stamps` whose open, high, low, close and volume are the bar's.

    A daily bar whose own OHLC is broken (a planted daily defect) gets candles over its repaired
    range, so its intraday high or low disagrees with it, as a correct feed's would.
    """
    count = len(stamps)
    open_, close = _ticks(bar["open"]), _ticks(bar["close"])
    high = max(_ticks(bar["high"]), open_, close)
    low = min(_ticks(bar["low"]), open_, close)
    walk = np.concatenate(([0.0], np.cumsum(rng.normal(0, 1, count))))
    position = np.linspace(0, 1, count + 1)
    bridge = walk - position * walk[-1]
    span = float(bridge.max() - bridge.min()) or 1.0
    path = open_ + (close - open_) * position + bridge * (high - low) / span
    path = np.clip(np.round(path), low, high).astype("int64")
    path[0], path[-1] = open_, close
    opens, closes = path[:-1], path[1:]
    wick = int((high - low) * 0.05) + 1
    highs = np.minimum(np.maximum(opens, closes) + rng.integers(0, wick, count), high)
    lows = np.maximum(np.minimum(opens, closes) - rng.integers(0, wick, count), low)
    highs[int(np.argmax(highs))] = high
    lows[int(np.argmin(lows))] = low
    return pd.DataFrame(
        {
            "ts": stamps,
            "open": opens * TICK,
            "high": highs * TICK,
            "low": lows * TICK,
            "close": closes * TICK,
            "volume": _split_volume(int(bar["volume"]), count, rng),
        }
    ).round({"open": 2, "high": 2, "low": 2, "close": 2})


def aggregate(minutes: pd.DataFrame, starts: pd.DatetimeIndex) -> pd.DataFrame:
    """Candles starting at `starts` (a session's candles at a coarser interval) from minutes."""
    bucket = starts[starts.searchsorted(minutes["ts"], side="right") - 1]
    grouped = minutes.groupby(bucket, sort=True)
    frame = grouped.agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
    )
    return frame.rename_axis("ts").reset_index()


def plant_defects(candles: pd.DataFrame, day: dt.date, defects: dict[str, Any]) -> pd.DataFrame:
    """Apply the scenario's intraday defects that fall on `day` (see the module docstring)."""
    for stamp in defects.get("intraday_missing_half_hour", []):
        start = pd.Timestamp(stamp, tz=IST)
        if start.date() == day:
            candles = _drop_half_hour(candles, start)
    for stamp in defects.get("intraday_after_close", []):
        at = pd.Timestamp(stamp, tz=IST)
        if at.date() == day:
            last = candles.index[-1]
            moved = int(candles.at[last, "volume"]) // 2
            candles.loc[last, "volume"] -= moved
            price = candles.at[last, "close"]
            extra = {"ts": at, "open": price, "high": price, "low": price, "close": price}
            candles = pd.concat(
                [candles, pd.DataFrame([extra | {"volume": moved}])], ignore_index=True
            )
    factor = defects.get("intraday_volume_mismatch", {}).get(day.isoformat())
    if factor is not None:
        candles["volume"] = np.round(candles["volume"] * float(factor)).astype("int64")
    return candles


def month_candles(
    daily: pd.DataFrame,
    interval: str,
    known: KnownDays,
    day_seed: Callable[[dt.date], int],
    defects: dict[str, Any],
) -> pd.DataFrame:
    """Intraday candles of every daily bar in `daily` (one symbol, one month)."""
    frames = []
    for _, bar in daily.iterrows():
        day = bar["date"].date()
        stamps = session_candles(day, "1minute", known)
        rng = np.random.default_rng(day_seed(day))
        minutes = day_minutes(bar, stamps, rng)
        candles = (
            minutes
            if interval == "1minute"
            else aggregate(minutes, session_candles(day, interval, known))
        )
        frames.append(plant_defects(candles, day, defects))
    if not frames:
        return pd.DataFrame(columns=["ts", "open", "high", "low", "close", "volume"])
    return pd.concat(frames, ignore_index=True).sort_values("ts", ignore_index=True)


def _drop_half_hour(candles: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    gone = (candles["ts"] >= start) & (candles["ts"] < start + HALF_HOUR)
    after = candles.index[(candles["ts"] >= start + HALF_HOUR)]
    if not gone.any() or after.empty:
        return candles
    heir = after[0]
    candles.loc[heir, "high"] = max(candles.at[heir, "high"], candles.loc[gone, "high"].max())
    candles.loc[heir, "low"] = min(candles.at[heir, "low"], candles.loc[gone, "low"].min())
    candles.loc[heir, "volume"] += int(candles.loc[gone, "volume"].sum())
    return candles[~gone].reset_index(drop=True)


def _split_volume(total: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """`total` shares over `count` minutes, heavier at the open and the close, summing exactly."""
    x = np.linspace(-1, 1, count)
    weights = (1 + 1.5 * x**2) * rng.lognormal(0, 0.4, count)
    shares = total * weights / weights.sum()
    volume = np.floor(shares).astype("int64")
    remainder = total - int(volume.sum())
    volume[np.argsort(volume - shares)[:remainder]] += 1
    return volume


def _ticks(price: float) -> int:
    return round(float(price) / TICK)
