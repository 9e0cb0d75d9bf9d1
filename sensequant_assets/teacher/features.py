"""The teacher's feature sets, computed over a symbol's whole history.

Each indicator runs once over all of a symbol's bars (sorted by date); windows are cut afterwards,
so a session has one value whichever window it lands in, and a value at session t uses bars up to
and including t only. Only the start of the history carries a warm-up, and the rows inside it are
never used for training (see `first_complete_row`).

Two named sets are registered in `FEATURE_SETS`:

- `stationary_v1` (the default): ratios and returns only. A tree splits on thresholds it saw in
  training and cannot extrapolate; a price level (an SMA in rupees) drifts out of the range the
  window was trained on as soon as a stock trends, and is not comparable across stocks, which the
  cross-sectional model needs. A ratio to the close or a return keeps its meaning at any price.
- `original15`: the original fifteen indicators, twelve of them price levels and `bb_middle` the
  same series as `sma_20`. Kept only to compare against; never the default.

The smoothed indicators use the textbook seeding (TA-Lib's): the first value is the simple mean
of the first `n` inputs, then the recursion runs. Every function takes its period so the
formulas can be checked by hand on short series.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd


def _smoothed(values: pd.Series, n: int, alpha: float) -> pd.Series:
    """Exponential recursion y_t = y_{t-1} + alpha * (x_t - y_{t-1}), seeded at the n-th valid input
    with the mean of the first n valid inputs; NaN before the seed. Inputs are NaN only as a
    leading prefix (a diff, an earlier indicator's warm-up)."""
    x = values.to_numpy(dtype="float64")
    out = np.full(len(x), np.nan)
    valid = np.flatnonzero(~np.isnan(x))
    if len(valid) < n:
        return pd.Series(out, index=values.index)
    first = valid[0]
    seed_at = first + n - 1
    out[seed_at] = x[first : seed_at + 1].mean()
    for t in range(seed_at + 1, len(x)):
        out[t] = out[t - 1] + alpha * (x[t] - out[t - 1])
    return pd.Series(out, index=values.index)


def sma(close: pd.Series, n: int) -> pd.Series:
    """Simple moving average: SMA_n(t) = (1/n) * sum(close[t-n+1 .. t])."""
    return close.rolling(n, min_periods=n).mean()


def ema(close: pd.Series, n: int) -> pd.Series:
    """Exponential moving average with alpha = 2/(n+1):
    EMA_n(t) = EMA_n(t-1) + alpha * (close_t - EMA_n(t-1)), seeded with SMA_n at t = n-1."""
    return _smoothed(close, n, 2.0 / (n + 1))


def _wilder(values: pd.Series, n: int) -> pd.Series:
    """Wilder's average: W(t) = (W(t-1) * (n-1) + x_t) / n, seeded with the mean of the first n."""
    return _smoothed(values, n, 1.0 / n)


def rsi(close: pd.Series, n: int) -> pd.Series:
    """Wilder's RSI: RSI = 100 - 100 / (1 + AG/AL), where AG and AL are Wilder averages (period n)
    of the gains max(Δclose, 0) and losses max(-Δclose, 0). AL = 0 gives 100 (50 if AG = 0 too)."""
    delta = close.diff()
    gains = _wilder(delta.clip(lower=0.0), n)
    losses = _wilder((-delta).clip(lower=0.0), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 100.0 - 100.0 / (1.0 + gains / losses)
    value = value.where(losses != 0, np.where(gains == 0, 50.0, 100.0))
    return value.where(gains.notna())


def true_range(high: pd.Series, low: pd.Series, close: pd.Series) -> pd.Series:
    """TR_t = max(high_t - low_t, |high_t - close_{t-1}|, |low_t - close_{t-1}|); NaN on the first
    bar, which has no previous close."""
    previous = close.shift(1)
    ranges = pd.concat([high - low, (high - previous).abs(), (low - previous).abs()], axis=1)
    return ranges.max(axis=1, skipna=False)


def atr(high: pd.Series, low: pd.Series, close: pd.Series, n: int) -> pd.Series:
    """Average true range: Wilder average (period n) of the true range."""
    return _wilder(true_range(high, low, close), n)


def vwap(high: pd.Series, low: pd.Series, close: pd.Series, volume: pd.Series, n: int) -> pd.Series:
    """Rolling VWAP of the typical price: sum(TP * volume) / sum(volume) over the last n sessions,
    TP = (high + low + close) / 3; NaN where those n sessions traded nothing.

    The original cumulated from the window start, so a session's VWAP depended on which window it
    sat in, and late in a long window it was a long-run average unrelated to recent trading. A
    rolling window (20 sessions, as the Bollinger bands) depends only on recent sessions.
    """
    typical = (high + low + close) / 3.0
    weighted = (typical * volume).rolling(n, min_periods=n).sum()
    traded = volume.astype("float64").rolling(n, min_periods=n).sum()
    return weighted / traded.where(traded > 0)


def bollinger(close: pd.Series, n: int, width: float) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Bollinger bands: middle = SMA_n; upper/lower = middle ± width * σ_n, with σ_n the population
    standard deviation (ddof = 0, as Bollinger defines it) of the last n closes."""
    middle = sma(close, n)
    sigma = close.rolling(n, min_periods=n).std(ddof=0)
    return middle + width * sigma, middle, middle - width * sigma


def macd(
    close: pd.Series, fast: int, slow: int, signal: int
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """MACD: line = EMA_fast - EMA_slow; signal = EMA_signal of the line (seeded on its first
    `signal` defined values); histogram = line - signal."""
    line = ema(close, fast) - ema(close, slow)
    signal_line = ema(line, signal)
    return line, signal_line, line - signal_line


def adx(high: pd.Series, low: pd.Series, close: pd.Series, n: int) -> pd.Series:
    """Wilder's ADX. +DM = up if up > down and up > 0 else 0, -DM = down if down > up and
    down > 0 else 0 (up = high_t - high_{t-1}, down = low_{t-1} - low_t); ±DI = 100 * Wilder_n(±DM)
    / Wilder_n(TR); DX = 100 * |+DI - -DI| / (+DI + -DI) (0 when both are 0); ADX = Wilder_n(DX).
    """
    up = high.diff()
    down = -low.diff()
    plus_dm = up.where((up > down) & (up > 0), 0.0).where(up.notna())
    minus_dm = down.where((down > up) & (down > 0), 0.0).where(down.notna())
    smoothed_tr = _wilder(true_range(high, low, close), n)
    # A range of zero (a stretch of identical bars) has no direction: both DIs are 0 there.
    plus_di = _ratio(100.0 * _wilder(plus_dm, n), smoothed_tr)
    minus_di = _ratio(100.0 * _wilder(minus_dm, n), smoothed_tr)
    dx = _ratio(100.0 * (plus_di - minus_di).abs(), plus_di + minus_di)
    return _wilder(dx, n)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, 0 where the denominator is 0, NaN where either is NaN."""
    value = numerator / denominator.where(denominator != 0)
    return value.fillna(0.0).where(numerator.notna() & denominator.notna())


def obv(close: pd.Series, volume: pd.Series, n: int) -> pd.Series:
    """On-balance-volume flow over n sessions: (OBV_t - OBV_{t-n}) / sum(volume[t-n+1 .. t]),
    where OBV_t = OBV_{t-1} + sign(close_t - close_{t-1}) * volume_t; in [-1, 1], NaN where those
    sessions traded nothing.

    Cumulative OBV's level is an arbitrary constant set by where the history starts (the original
    restarted it at every window): adding an earlier year would shift every value, and no level is
    comparable across windows or symbols. Only its changes carry information, so the feature is
    the net signed volume of the last n sessions (20, as VWAP) as a share of the volume traded.
    """
    signed = np.sign(close.diff()) * volume.astype("float64")
    flow = signed.rolling(n, min_periods=n).sum()
    traded = volume.astype("float64").rolling(n, min_periods=n).sum()
    return flow / traded.where(traded > 0)


def price_to_sma(close: pd.Series, n: int) -> pd.Series:
    """Distance of the close from its simple moving average: close_t / SMA_n(t) - 1."""
    return close / sma(close, n) - 1.0


def percent_b(close: pd.Series, n: int, width: float) -> pd.Series:
    """Bollinger %b: (close - lower) / (upper - lower), 0 at the lower band, 1 at the upper;
    NaN where the n closes are all equal (no band to be inside)."""
    upper, _, lower = bollinger(close, n, width)
    spread = upper - lower
    return (close - lower) / spread.where(spread > 0)


def bandwidth(close: pd.Series, n: int, width: float) -> pd.Series:
    """Bollinger bandwidth: (upper - lower) / middle = 2 * width * σ_n / SMA_n."""
    upper, middle, lower = bollinger(close, n, width)
    return (upper - lower) / middle


def log_return(close: pd.Series, n: int) -> pd.Series:
    """Log return over the last n sessions: ln(close_t / close_{t-n}); NaN for the first n rows."""
    return np.log(close / close.shift(n))


def realized_volatility(close: pd.Series, n: int) -> pd.Series:
    """Daily realized volatility: the sample standard deviation (ddof = 1) of the last n
    one-session log returns ln(close_s / close_{s-1}), s = t-n+1 .. t. Not annualized."""
    return log_return(close, 1).rolling(n, min_periods=n).std(ddof=1)


def relative_volume(volume: pd.Series, n: int) -> pd.Series:
    """Volume against its own recent average: volume_t / mean(volume[t-n+1 .. t]); NaN where
    those n sessions traded nothing. Share counts differ by orders of magnitude between stocks;
    the ratio does not."""
    average = volume.astype("float64").rolling(n, min_periods=n).mean()
    return volume / average.where(average > 0)


def _stationary_v1(bars: pd.DataFrame) -> pd.DataFrame:
    high, low, close, volume = bars["high"], bars["low"], bars["close"], bars["volume"]
    macd_line, macd_signal, macd_histogram = macd(close, 12, 26, 9)
    return pd.DataFrame(
        {
            "close_to_sma_20": price_to_sma(close, 20),
            "close_to_sma_50": price_to_sma(close, 50),
            "atr_14_to_close": atr(high, low, close, 14) / close,
            "macd_line_to_close": macd_line / close,
            "macd_signal_to_close": macd_signal / close,
            "macd_histogram_to_close": macd_histogram / close,
            "bb_percent_b": percent_b(close, 20, 2.0),
            "bb_bandwidth": bandwidth(close, 20, 2.0),
            "log_return_1": log_return(close, 1),
            "log_return_5": log_return(close, 5),
            "log_return_20": log_return(close, 20),
            "realized_vol_20": realized_volatility(close, 20),
            "volume_to_avg_20": relative_volume(volume, 20),
            "rsi_14": rsi(close, 14),
            "adx_14": adx(high, low, close, 14),
        },
        index=bars.index,
    )


def _original15(bars: pd.DataFrame) -> pd.DataFrame:
    high, low, close, volume = bars["high"], bars["low"], bars["close"], bars["volume"]
    bb_upper, bb_middle, bb_lower = bollinger(close, 20, 2.0)
    macd_line, macd_signal, macd_histogram = macd(close, 12, 26, 9)
    return pd.DataFrame(
        {
            "sma_20": sma(close, 20),
            "sma_50": sma(close, 50),
            "ema_12": ema(close, 12),
            "ema_26": ema(close, 26),
            "rsi_14": rsi(close, 14),
            "atr_14": atr(high, low, close, 14),
            "vwap": vwap(high, low, close, volume, 20),
            "bb_upper": bb_upper,
            "bb_middle": bb_middle,
            "bb_lower": bb_lower,
            "macd_line": macd_line,
            "macd_signal": macd_signal,
            "macd_histogram": macd_histogram,
            "adx_14": adx(high, low, close, 14),
            "obv": obv(close, volume, 20),
        },
        index=bars.index,
    )


@dataclass(frozen=True)
class FeatureSet:
    """A named, versioned list of feature columns and the function that computes them.

    The version goes into every label row, run row and model file: bump it whenever a formula of
    the set changes, so that labels and models built with the old formulas are recognisably stale.
    """

    name: str
    version: str
    columns: tuple[str, ...]
    compute: Callable[[pd.DataFrame], pd.DataFrame]

    def provenance(self) -> dict[str, str]:
        return {"feature_set": self.name, "feature_set_version": self.version}


FEATURE_SETS: dict[str, FeatureSet] = {
    feature_set.name: feature_set
    for feature_set in (
        FeatureSet(
            "stationary_v1",
            "1",
            (
                "close_to_sma_20",
                "close_to_sma_50",
                "atr_14_to_close",
                "macd_line_to_close",
                "macd_signal_to_close",
                "macd_histogram_to_close",
                "bb_percent_b",
                "bb_bandwidth",
                "log_return_1",
                "log_return_5",
                "log_return_20",
                "realized_vol_20",
                "volume_to_avg_20",
                "rsi_14",
                "adx_14",
            ),
            _stationary_v1,
        ),
        FeatureSet(
            "original15",
            "1",
            (
                "sma_20",
                "sma_50",
                "ema_12",
                "ema_26",
                "rsi_14",
                "atr_14",
                "vwap",
                "bb_upper",
                "bb_middle",
                "bb_lower",
                "macd_line",
                "macd_signal",
                "macd_histogram",
                "adx_14",
                "obv",
            ),
            _original15,
        ),
    )
}
DEFAULT_FEATURE_SET = "stationary_v1"

# Every feature column of every registered set, each once (a name shared by two sets is the same
# formula), default set first: the fixed columns of a table that stores rows of any set.
FEATURE_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(name for fs in FEATURE_SETS.values() for name in fs.columns)
)


def get_feature_set(name: str) -> FeatureSet:
    """The registered set called `name`; a ValueError naming the known sets otherwise."""
    if name not in FEATURE_SETS:
        raise ValueError(
            f"Unknown feature set {name!r}; the registered sets are {sorted(FEATURE_SETS)}."
        )
    return FEATURE_SETS[name]


def compute_features(bars: pd.DataFrame, feature_set: str = DEFAULT_FEATURE_SET) -> pd.DataFrame:
    """The set's features for one symbol's bars (sorted by date), one row per bar, same index,
    columns in the set's order."""
    chosen = get_feature_set(feature_set)
    return chosen.compute(bars).loc[:, list(chosen.columns)]


def first_complete_row(features: pd.DataFrame) -> int | None:
    """Position of the first row where every feature is defined (the end of the warm-up).

    Rows after it can still hold NaN where a rolling window traded no volume or a band has no
    width; those stay NaN, which CatBoost treats as missing.
    """
    complete = features.notna().all(axis=1).to_numpy()
    positions = np.flatnonzero(complete)
    return int(positions[0]) if len(positions) else None
