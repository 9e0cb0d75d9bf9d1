"""The economic test of a cross-sectional score: what a daily portfolio built from it earns after
Indian equity costs.

After the close of session t the scores of the names eligible that day (those with an
out-of-sample score on t) are ranked; the long-short book holds the top `quantile` long and the
bottom `quantile` short, equal-weighted, each leg with gross weight 1; the long-only book holds
the top `quantile` alone, weights summing to 1, and is set against the equal-weighted
return of that day's eligible names (the benchmark: a long-only book earns the market's drift
whatever its scores know). Each day's book is held for `holding` sessions as
one of `holding` staggered cohorts (Jegadeesh and Titman, 1993, J. Finance 48(1)): the position
held from the open of t+1 to the open of t+2 is the mean of the books formed on the last
`holding` days, so with `holding` = H it is the trade the labels score. Returns are open to open
(the entry price of the labels, `labels.entry_prices`), so nothing trades at a price known when
the scores were computed.

Costs are charged on every change of position, per unit of value traded, by `IndianEquityCosts`:
a rise of a weight is a buy (stamp duty), a fall a sell, whichever side the position is on. The
figures: gross and net mean return, turnover, net Sharpe ratio with a 95 % interval (the delta
method over its influence with Hansen-Hodrick lags, as every teacher interval; Lo 2002,
Financial Analysts Journal 58(4), on why i.i.d. Sharpe errors mislead), maximum drawdown of the
compounded net return, and the rank IC of the score against forward returns of 1 to 20 sessions
(its decay). On random walks it must lose money net of costs; the tests show it does, and that
it finds money on a planted signal.
"""

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from sensequant_assets.teacher.labels import entry_prices
from sensequant_assets.teacher.metrics import (
    Statistic,
    _ratio,
    hac_interval,
    ic_summary,
    rank_ic_by_date,
)

TRADING_DAYS = 252
BOOKS: tuple[str, ...] = ("long_short", "long_only")
DECAY_HORIZONS: tuple[int, ...] = tuple(range(1, 21))


@dataclass(frozen=True)
class IndianEquityCosts:
    """Costs of trading NSE cash equities for delivery, each a fraction of the value traded.

    Defaults as in force in 2025 (check them against your broker's contract note):
    - securities transaction tax 0.1 % on both buy and sell of delivery trades (Finance Act
      2004 ch. VII as amended; NSE "Securities Transaction Tax" page);
    - NSE transaction charge 0.00297 % of turnover, both sides (NSE circular NSE/FAOP/64625,
      from 2024-10-01, uniform charges);
    - SEBI turnover fee ₹10 per crore, 0.0001 %, both sides (SEBI fee schedule);
    - stamp duty 0.015 % on the buy side of delivery trades (Indian Stamp Act as amended 2020);
    - GST 18 % on brokerage, exchange and SEBI charges (IGST Act);
    - brokerage 0 bps: delivery is brokerage-free at several Indian discount brokers; set your
      plan's rate (ICICI Direct's depends on the plan);
    - slippage 10 bps a side: half the quoted spread plus impact for a NIFTY 100 name at modest
      size, an assumption, not a measurement; raise it for smaller names or larger books.

    The short leg is charged the same schedule: overnight shorts in India are held through
    single-stock futures or stock lending, whose costs differ; the delivery schedule is the
    dearer of the two for STT. Depository (DP) charges are fixed rupees per sell per scrip and
    depend on the book's size, so they are left out.
    """

    stt: float = 0.001
    exchange: float = 0.0000297
    sebi: float = 0.000001
    stamp_duty_buy: float = 0.00015
    gst: float = 0.18
    brokerage_bps: float = 0.0
    slippage_bps: float = 10.0

    def __post_init__(self) -> None:
        negative = [name for name, value in asdict(self).items() if value < 0]
        if negative:
            raise ValueError(
                f"Trading costs cannot be negative ({', '.join(negative)}); fix the teacher "
                "settings' cost fields."
            )

    def _common(self) -> float:
        brokerage = self.brokerage_bps / 1e4
        taxed = brokerage + self.exchange + self.sebi
        return self.stt + taxed + self.gst * taxed + self.slippage_bps / 1e4

    @property
    def buy(self) -> float:
        """Cost of buying one unit of value."""
        return self._common() + self.stamp_duty_buy

    @property
    def sell(self) -> float:
        """Cost of selling one unit of value."""
        return self._common()


class Sharpe(Statistic):
    """mean / standard deviation of weighted returns (per period), with its gradient."""

    def __init__(self, returns: np.ndarray):
        self.returns = np.asarray(returns, dtype="float64")

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        total = weights.sum(axis=1)
        mean = _ratio(weights @ self.returns, total)
        second = _ratio(weights @ self.returns**2, total)
        variance = second - mean**2
        return _ratio(mean, np.sqrt(np.where(variance > 0, variance, 0.0)))

    def gradient(self) -> np.ndarray:
        r, n = self.returns, len(self.returns)
        mean, second = r.mean(), (r**2).mean()
        variance = second - mean**2
        if variance <= 0:
            return np.full(n, np.nan)
        d_mean, d_second = (r - mean) / n, (r**2 - second) / n
        d_variance = d_second - 2 * mean * d_mean
        return d_mean / np.sqrt(variance) - mean * d_variance / (2 * variance**1.5)


def session_returns(bars: pd.DataFrame) -> pd.DataFrame:
    """Per symbol and session t: `ret`, the open-to-open return a position entered at the open
    of t+1 earns until the open of t+2 (the close where a symbol's bars carry no opens), and
    `entry`, the entry price at t+1, for the decay horizons. Columns symbol, date, ret, entry."""
    parts = []
    for symbol, rows in bars.sort_values(["symbol", "date"]).groupby("symbol", sort=False):
        entry, _ = entry_prices(rows.reset_index(drop=True))
        next_entry = entry.shift(-1)
        parts.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "date": rows["date"].to_numpy(),
                    "entry": next_entry.to_numpy(),
                    "ret": (next_entry.shift(-1) / next_entry - 1.0).to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def book_weights(scores: pd.DataFrame, quantile: float, book: str) -> pd.DataFrame:
    """The book formed on each date (dates x symbols): +1/k on the top k = ⌈quantile · names⌉
    names, and for the long-short book -1/k on the bottom k; 0 elsewhere. A date with fewer
    than 2k names forms no long-short book (all 0)."""
    wide = scores.pivot(index="date", columns="symbol", values="score").sort_index()
    ranks = wide.rank(axis=1, method="first")
    names = wide.notna().sum(axis=1)
    k = np.ceil(quantile * names).astype(int)
    top = ranks.gt(names - k, axis=0)
    weights = top.astype(float).div(k.where(k > 0), axis=0)
    if book == "long_short":
        bottom = ranks.le(k, axis=0)
        weights = weights - bottom.astype(float).div(k.where(k > 0), axis=0)
        weights = weights.mul((names >= 2 * k).astype(float), axis=0)
    return weights.fillna(0.0)


@dataclass(frozen=True)
class BookResult:
    """One book's daily series (gross, cost, net, turnover) and its summary figures."""

    daily: pd.DataFrame
    summary: dict[str, float | int | None]


def run_book(
    scores: pd.DataFrame,
    returns: pd.DataFrame,
    costs: IndianEquityCosts,
    *,
    book: str,
    quantile: float = 0.2,
    holding: int = 5,
    level: float = 0.95,
) -> BookResult:
    """The daily book from `scores` (date, symbol, score) on `returns` (`session_returns`)."""
    formed = book_weights(scores, quantile, book)
    held = formed.rolling(holding, min_periods=1).mean()
    realised = returns.pivot(index="date", columns="symbol", values="ret")
    realised = realised.reindex(index=held.index, columns=held.columns)
    eligible = scores.pivot(index="date", columns="symbol", values="score").notna()
    eligible = eligible.reindex(index=held.index, columns=held.columns, fill_value=False)
    known = realised.notna().any(axis=1) | held.abs().sum(axis=1).eq(0)
    held, realised, eligible = held[known], realised[known], eligible[known]
    # a long-short book is market-neutral: its benchmark is cash
    benchmark = (
        realised.where(eligible).mean(axis=1).fillna(0.0)
        if book == "long_only"
        else pd.Series(0.0, index=realised.index)
    )
    realised = realised.fillna(0.0)
    gross = (held * realised).sum(axis=1)
    change = held.diff().fillna(held)
    cost = change.clip(lower=0).sum(axis=1) * costs.buy - change.clip(upper=0).sum(axis=1) * (
        costs.sell
    )
    net = gross - cost
    daily = pd.DataFrame(
        {
            "gross": gross,
            "cost": cost,
            "net": net,
            "turnover": change.abs().sum(axis=1),
            "benchmark": benchmark,
        }
    )
    return BookResult(daily, _summary(daily, holding, level))


def _summary(daily: pd.DataFrame, holding: int, level: float) -> dict[str, float | int | None]:
    net = daily["net"].to_numpy()
    sharpe = Sharpe(net)
    value = float(sharpe(np.ones((1, len(net))))[0]) if len(net) > 1 else float("nan")
    low, high = (
        hac_interval(sharpe, np.arange(len(net)), holding, level) if len(net) > 2 else (None, None)
    )
    wealth = np.cumprod(1 + net)
    drawdown = 1 - wealth / np.maximum.accumulate(wealth) if len(net) else np.array([0.0])
    annual = np.sqrt(TRADING_DAYS)
    return {
        "days": len(net),
        "gross_annual_return": float(daily["gross"].mean() * TRADING_DAYS),
        "cost_annual": float(daily["cost"].mean() * TRADING_DAYS),
        "net_annual_return": float(daily["net"].mean() * TRADING_DAYS),
        "benchmark_annual_return": float(daily["benchmark"].mean() * TRADING_DAYS),
        "net_excess_annual_return": float(
            (daily["net"] - daily["benchmark"]).mean() * TRADING_DAYS
        ),
        "turnover_daily": float(daily["turnover"].mean()),
        "net_sharpe": float(value * annual),
        "net_sharpe_low": float(low * annual) if low is not None else None,
        "net_sharpe_high": float(high * annual) if high is not None else None,
        "max_drawdown": float(drawdown.max()),
    }


def ic_decay(scores: pd.DataFrame, returns: pd.DataFrame, min_names: int) -> dict[int, float]:
    """Mean per-date rank IC of the score against the forward return over h sessions from the
    next entry, for h in `DECAY_HORIZONS`; NaN where undefined."""
    entries = returns.pivot(index="date", columns="symbol", values="entry").sort_index()
    out = {}
    for h in DECAY_HORIZONS:
        forward = (entries.shift(-h) / entries - 1.0).stack().rename("forward").reset_index()
        rows = scores.merge(forward, on=["date", "symbol"])
        ic = rank_ic_by_date(rows["date"], rows["score"], rows["forward"], min_names)
        out[h] = float(ic.mean()) if ic.notna().any() else float("nan")
    return out


def market_residual_ic(
    scores: pd.DataFrame,
    returns: pd.DataFrame,
    horizon: int,
    min_names: int,
    beta_window: int = 60,
) -> dict[str, float | int | None]:
    """Rank IC against the raw forward return and against the forward return residual to the
    market, side by side. The market is the equal-weighted return of the names; each name's
    beta is its trailing `beta_window`-session regression slope on it, from returns realised by
    the decision's close. (Subtracting the market return alone would change no rank within a
    date; subtracting beta times it removes what a score earns by sorting names by beta, or by
    volatility where beta follows it.) The forward return is the labels' own, entry at t+1,
    exit H sessions later. Means with Hansen-Hodrick t over H lags (`ic_summary`)."""
    daily = returns.pivot(index="date", columns="symbol", values="ret").sort_index()
    known = daily.shift(2)  # ret at s runs from the open of s+1 to the open of s+2
    market = known.mean(axis=1)
    mean_x = known.rolling(beta_window, min_periods=beta_window // 2).mean()
    mean_m = market.rolling(beta_window, min_periods=beta_window // 2).mean()
    cross = known.mul(market, axis=0).rolling(beta_window, min_periods=beta_window // 2).mean()
    variance = (market**2).rolling(beta_window, min_periods=beta_window // 2).mean() - mean_m**2
    beta = (cross - mean_x.mul(mean_m, axis=0)).div(variance.where(variance > 0), axis=0)
    entries = returns.pivot(index="date", columns="symbol", values="entry").sort_index()
    forward = entries.shift(-horizon) / entries - 1.0
    residual = forward - beta.mul(forward.mean(axis=1), axis=0)
    out: dict[str, float | int | None] = {}
    for name, target in (("raw", forward), ("residual", residual)):
        long = target.stack().rename("target").reset_index()
        rows = scores.merge(long, on=["date", "symbol"])
        summary = ic_summary(
            rank_ic_by_date(rows["date"], rows["score"], rows["target"], min_names), horizon
        )
        out |= {
            f"{name}_ic": summary["rank_ic_mean"],
            f"{name}_t": summary["rank_ic_t"],
            f"{name}_dates": summary["rank_ic_dates"],
        }
    out["t_critical"] = summary["rank_ic_t_critical"]
    return out


def names_per_date(scores: pd.DataFrame, min_names: int) -> dict[str, float | int]:
    """How many names each date's cross-section holds, and how many dates the rank IC leaves
    out for holding fewer than `min_names` (every counted date weighs the same in it)."""
    counts = scores.groupby("date")["symbol"].nunique()
    return {
        "min": int(counts.min()),
        "median": float(counts.median()),
        "max": int(counts.max()),
        "dates": len(counts),
        "dates_below_min_names": int((counts < min_names).sum()),
        "min_names": min_names,
    }


SCORE_COLUMNS = {"model": "score", "momentum": "momentum"}


def economic_test(
    predictions: pd.DataFrame,
    bars: pd.DataFrame,
    costs: IndianEquityCosts,
    *,
    quantile: float = 0.2,
    holding: int = 5,
    min_names: int = 5,
) -> dict[str, object]:
    """Every book of the model's scores and of the momentum baseline's, with the IC decay of
    each: {"model": {"long_short": BookResult, "long_only": ..., "ic_decay": {h: ic}},
    "momentum": {...}, "settings": {...}}. `predictions` are the universe model's out-of-sample
    rows (date, symbol, score, momentum); a date's eligible names are those scored on it."""
    if not 0 < quantile <= 0.5:
        raise ValueError(f"quantile must lie in (0, 0.5] (got {quantile}).")
    returns = session_returns(bars)
    result: dict[str, object] = {
        "settings": {"quantile": quantile, "holding": holding, **asdict(costs)},
    }
    for scorer, column in SCORE_COLUMNS.items():
        scores = predictions.loc[:, ["date", "symbol", column]].rename(columns={column: "score"})
        scores = scores.dropna(subset=["score"])
        result[scorer] = {
            **{
                book: run_book(
                    scores, returns, costs, book=book, quantile=quantile, holding=holding
                )
                for book in BOOKS
            },
            "ic_decay": ic_decay(scores, returns, min_names),
            "ic_vs_market": market_residual_ic(scores, returns, holding, min_names),
        }
    result["names_per_date"] = names_per_date(predictions.dropna(subset=["score"]), min_names)
    return result


def economic_summary(result: dict[str, object]) -> dict[str, object]:
    """The figures of `economic_test` as plain JSON (for asset metadata, read back as is)."""
    out: dict[str, object] = {
        "settings": result["settings"],
        "names_per_date": result["names_per_date"],
    }
    for scorer in SCORE_COLUMNS:
        part = result[scorer]
        assert isinstance(part, dict)
        out[scorer] = {
            **{book: part[book].summary for book in BOOKS},
            "ic_decay": {str(h): v for h, v in part["ic_decay"].items()},
            "ic_vs_market": part["ic_vs_market"],
        }
    return out
