"""Corporate actions: what a split, bonus or demerger does to a price series, and its undoing.

A source's daily bars are as traded: on a 10:1 split's ex-date the price falls to a tenth and the
volume grows tenfold, though nothing happened to the company's value. A model learning from such
bars learns a crash. Adjusted bars divide every price before an ex-date by the action's factor
(and multiply volumes by it), so the series is continuous in value; the raw bars stay as stored.

An action's factor (how many times cheaper a share is from its ex-date on):
- split `new:old`: `new` shares for every `old` (10:1 turns one share into ten: factor 10; a
  consolidation 1:10 is 0.1);
- bonus `bonus:held`: `bonus` new shares for every `held` (1:1: factor 2; 1:3: factor 4/3);
- adjustment `x` or `a/b`: the factor itself, for demergers and other price adjustments (the
  previous close over the price the exchange discovered on the ex-date).
Several actions on one ex-date multiply (a 2:1 split with a 4:1 bonus is a factor of 10).
"""

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd

Kind = Literal["split", "bonus", "adjustment"]
KINDS: tuple[Kind, ...] = ("split", "bonus", "adjustment")
ACTION_COLUMNS = ("symbol", "ex_date", "kind", "ratio", "factor", "note")
PRICE_COLUMNS = ("open", "high", "low", "close")


def price_factor(kind: str, ratio: str) -> float:
    """The factor of one action (see the module docstring); ValueError says what is wrong."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    text = ratio.strip()
    if kind == "adjustment":
        numerator, slash, denominator = text.partition("/")
        factor = _positive(numerator, ratio) / (_positive(denominator, ratio) if slash else 1.0)
        if factor == 1.0:
            raise ValueError(f"an adjustment of {ratio!r} changes nothing")
        return factor
    first, colon, second = text.partition(":")
    if not colon:
        raise ValueError(f"a {kind} ratio is written a:b (for example 1:1), not {ratio!r}")
    a, b = _positive(first, ratio), _positive(second, ratio)
    return a / b if kind == "split" else (a + b) / b


def _positive(number: str, ratio: str) -> float:
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{ratio!r} is not a ratio of positive numbers") from None
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{ratio!r} is not a ratio of positive numbers")
    return value


def describe_action(kind: str, ratio: str, ex_date: dt.date) -> str:
    """'split 10:1 on 2022-07-28', as messages and the reference file name it."""
    return f"{kind} {ratio} on {ex_date.isoformat()}"


def adjustment_factors(bars: pd.DataFrame, actions: pd.DataFrame) -> pd.Series:
    """Per bar, the product of the factors of its symbol's actions with an ex-date after it.

    Divide a bar's prices by it (and multiply its volume) to express it in today's shares.
    `actions` holds at least symbol, ex_date and factor; bars without actions get 1.0.
    """
    factors = pd.Series(1.0, index=bars.index)
    if actions.empty or bars.empty:
        return factors
    relevant = actions[actions["symbol"].isin(bars["symbol"].unique())]
    dates = pd.to_datetime(bars["date"]).to_numpy(dtype="datetime64[ns]")
    for symbol, own in relevant.groupby("symbol", sort=False):
        ordered = own.sort_values("ex_date")
        ex_dates = pd.to_datetime(ordered["ex_date"]).to_numpy(dtype="datetime64[ns]")
        # after[i]: the product of every factor from the i-th ex-date on; after[n] is 1.
        after = np.append(np.cumprod(ordered["factor"].to_numpy(float)[::-1])[::-1], 1.0)
        rows = (bars["symbol"] == symbol).to_numpy()
        factors.loc[rows] = after[np.searchsorted(ex_dates, dates[rows], side="right")]
    return factors


def adjusted_bars(bars: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """Bars in today's shares: prices before each ex-date divided by the action's factor, volumes
    multiplied (rounded to whole shares). Same columns and rows as `bars`, which is not changed.
    """
    factors = adjustment_factors(bars, actions)
    adjusted = bars.copy()
    for column in PRICE_COLUMNS:
        adjusted[column] = bars[column].astype("float64") / factors
    adjusted["volume"] = np.round(bars["volume"].astype("float64") * factors).astype("int64")
    return adjusted


def actions_between(
    actions: pd.DataFrame, symbol: str, after: dt.date, until: dt.date
) -> pd.DataFrame:
    """`symbol`'s actions with an ex-date in (after, until]: those that fall between two bars."""
    ex_dates = pd.to_datetime(actions["ex_date"]).dt.date
    chosen = (actions["symbol"] == symbol) & (ex_dates > after) & (ex_dates <= until)
    return actions[chosen]


def suggested_action(factor: float) -> str:
    """The simplest action with roughly this factor, to say what a move would take."""
    whole = round(factor)
    if factor > 1 and whole >= 2 and abs(factor - whole) <= 0.05 * factor:
        return f"split {whole}:1 or bonus {whole - 1}:1"
    inverse = round(1 / factor)
    if factor < 1 and inverse >= 2 and abs(1 / factor - inverse) <= 0.05 / factor:
        return f"split 1:{inverse} (a consolidation)"
    return f"adjustment {factor:.4g}"
