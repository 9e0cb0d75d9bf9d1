"""The embedded synthetic source: deterministic, offline, and honest about its defects.

Bars are a seeded random walk per symbol over every NSE session (plus the special sessions real
data holds, as data/reference/sessions.csv lists them, minus its holidays) from 2022 (ORIGIN_YEAR)
or the symbol's listing date; the years before 2022 are a second walk run back in time from the
same starting price. Both always start at the same session, so a year's bars depend neither on
which years were asked for (materializing 2023 alone gives the same bars as 2022-2024 together)
nor on the deployment's first year (`SENSEQUANT_FIRST_YEAR`): moving it to 2016 adds 2016-2021 and
leaves 2022 on as they were.
Like a real feed, the bars are as traded: every corporate action of the reference folder's
corporate_actions.csv shows on its ex-date (TATASTEEL's 10:1 split as a -90 % day), which
plausibility_check then explains. Defects (no bars, missing sessions, broken OHLC, a price jump no
action explains) come from the checked-in scenario so that the demo shows the checks failing for
real reasons.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from sensequant_assets.market.calendar import (
    KnownDays,
    last_completed_session,
    trading_days,
)
from sensequant_assets.market.corporate_actions import PRICE_COLUMNS, adjustment_factors
from sensequant_assets.market.intraday import minutes_per_candle
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.sources.bars import conform_bars, empty_bars
from sensequant_assets.sources.base import BarSource, FetchResult, SymbolMapping
from sensequant_assets.sources.intraday_bars import conform_intraday, empty_intraday
from sensequant_assets.sources.synthetic_intraday import month_candles
from sensequant_assets.universe.reference import (
    CORPORATE_ACTIONS_FILE,
    SESSIONS_FILE,
    Listings,
    load_corporate_actions,
    load_known_days,
    load_listing_dates,
)
from sensequant_assets.warehouse.storage import Origin

SCENARIO_PATH = Path(__file__).with_name("synthetic_scenario.json")
TICK = 0.05

ORIGIN_YEAR = 2022
"""Where the walk starts, forward and back: the platform's first year when it was fixed in code,
so the bars it served then are the bars it serves now."""

# Daily log-return volatility and drift typical of NIFTY 100 large caps (~27 % a year).
DAILY_VOLATILITY = 0.017
DAILY_DRIFT = 0.0004


@dataclass(frozen=True)
class Scenario:
    seed: int
    unknown_tickers: frozenset[str]
    security_master: dict[str, tuple[str, str, str]]
    defects: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, path: Path = SCENARIO_PATH) -> "Scenario":
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            seed=int(raw["seed"]),
            unknown_tickers=frozenset(raw["unknown_tickers"]),
            security_master={k: tuple(v) for k, v in raw["security_master"].items()},
            defects=raw["defects"],
        )


def _stable_int(*parts: object) -> int:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _sessions_between(
    first: dt.date, last: dt.date, listed_on: dt.date | None, known: KnownDays
) -> list[dt.date]:
    days = {d for y in range(first.year, last.year + 1) for d in trading_days(y, known)}
    days |= set(known.sessions)
    start = max(first, listed_on) if listed_on else first
    return sorted(d for d in days if start <= d <= last)


def random_walk_bars(
    symbol: str, sessions: list[dt.date], seed: int, backward: bool = False
) -> pd.DataFrame:
    """OHLCV for `sessions`, deterministic in (symbol, seed, first session). `backward`: sessions
    before ORIGIN_YEAR, walked back in time from the price the forward walk starts at (its own
    draws, the same volume level), so they join it and depend only on their last session."""
    rng = np.random.default_rng(_stable_int(seed, symbol))
    start_price = float(np.exp(rng.uniform(np.log(80), np.log(4000))))
    base_volume = float(np.exp(rng.uniform(np.log(2e5), np.log(2e7))))
    if backward:
        rng = np.random.default_rng(_stable_int(seed, symbol, "before"))
        sessions = sessions[::-1]
    count = len(sessions)
    returns = rng.normal(DAILY_DRIFT, DAILY_VOLATILITY, count)
    gaps = rng.normal(0, DAILY_VOLATILITY / 3, count)
    upper = np.abs(rng.normal(0, DAILY_VOLATILITY / 2, count))
    lower = np.abs(rng.normal(0, DAILY_VOLATILITY / 2, count))
    volume_noise = rng.lognormal(0, 0.25, count)
    close = start_price * np.exp(np.cumsum(returns))
    previous = np.concatenate(([start_price], close[:-1]))
    open_ = previous * np.exp(gaps)
    high = np.maximum(open_, close) * (1 + upper)
    low = np.minimum(open_, close) * (1 - lower)
    frame = pd.DataFrame(
        {
            "symbol": symbol,
            "date": pd.to_datetime(sessions),
            "open": _to_tick(open_),
            "high": _to_tick(high),
            "low": _to_tick(low),
            "close": _to_tick(close),
            "volume": np.round(base_volume * volume_noise).astype("int64"),
            "source": "synthetic",
        }
    )
    frame["high"] = frame[["open", "high", "close"]].max(axis=1)
    frame["low"] = frame[["open", "low", "close"]].min(axis=1)
    return frame.iloc[::-1].reset_index(drop=True) if backward else frame


def _to_tick(prices: np.ndarray) -> np.ndarray:
    return np.maximum(np.round(prices / TICK) * TICK, TICK).round(2)


def as_traded(bars: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """The walk (continuous in value) as a feed would show it: prices before each ex-date
    multiplied by the action's factor, volumes divided, so the action's day jumps."""
    factors = adjustment_factors(bars, actions)
    traded = bars.copy()
    for column in PRICE_COLUMNS:
        traded[column] = _to_tick(bars[column].to_numpy() * factors.to_numpy())
    traded["volume"] = np.maximum(np.round(bars["volume"] / factors), 1).astype("int64")
    return traded


def apply_defects(bars: pd.DataFrame, defects: dict[str, Any]) -> pd.DataFrame:
    """Inject the scenario's defects into clean bars (after the walk, so prices elsewhere stay)."""
    bars = bars.copy()
    dates = bars["date"].dt.date
    missing = {dt.date.fromisoformat(d) for d in defects.get("missing_sessions", [])}
    bars = bars[~dates.isin(missing)].reset_index(drop=True)
    dates = bars["date"].dt.date
    for day in defects.get("high_below_close", []):
        row = dates == dt.date.fromisoformat(day)
        bars.loc[row, "high"] = (bars.loc[row, "close"] * 0.98).round(2)
    for day, factor in defects.get("close_jump", {}).items():
        row = dates == dt.date.fromisoformat(day)
        bars.loc[row, "close"] = (bars.loc[row, "close"] * factor).round(2)
        bars.loc[row, "high"] = bars.loc[row, ["high", "close"]].max(axis=1)
        bars.loc[row, "volume"] = bars.loc[row, "volume"] * 5
    return bars


class SyntheticSource(BarSource):
    """The embedded, offline source (source "synthetic"): the demo's and the tests' default."""

    name: ClassVar[str] = "synthetic"
    origin: ClassVar[Origin] = "synthetic"

    reference_dir: str = Field(
        default=str(REFERENCE_DIR),
        description="Folder of listings.csv (symbols start trading on their listing date), "
        "sessions.csv (special sessions and holidays) and corporate_actions.csv (applied to the "
        "bars as a real feed shows them).",
    )
    as_of: str | None = Field(
        default=None,
        description="ISO timestamp standing in for 'now' (the still-open year ends at its last "
        "completed session); unset, the real clock. Tests pin it.",
    )

    @cached_property
    def scenario(self) -> Scenario:
        return Scenario.load()

    @cached_property
    def _listings(self) -> Listings:
        return load_listing_dates(Path(self.reference_dir) / "listings.csv")

    @cached_property
    def _known_days(self) -> KnownDays:
        return load_known_days(Path(self.reference_dir) / SESSIONS_FILE)

    @cached_property
    def _actions(self) -> pd.DataFrame:
        return load_corporate_actions(Path(self.reference_dir) / CORPORATE_ACTIONS_FILE)

    @property
    def _now(self) -> dt.datetime | None:
        return dt.datetime.fromisoformat(self.as_of) if self.as_of else None

    def lookup(self, symbol: str, nse_ticker: str) -> SymbolMapping:
        if nse_ticker in self.scenario.unknown_tickers:
            return SymbolMapping.failed(
                symbol,
                nse_ticker,
                f"Result Not Found: NSE ticker {nse_ticker} is not in the security master",
            )
        known = self.scenario.security_master.get(nse_ticker)
        if known:
            code, token, company = known
        else:
            code = "".join(c for c in nse_ticker if c.isalnum())[:6]
            token = str(_stable_int(nse_ticker) % 90000 + 10000)
            company = f"{nse_ticker} LIMITED"
        return SymbolMapping(symbol, nse_ticker, code, token, company, "success")

    def fetch_year(self, mapping: SymbolMapping, year: int) -> FetchResult:
        defects = self.scenario.defects.get(mapping.symbol, {})
        if defects.get("no_bars"):
            return FetchResult(empty_bars(), {"note": "the source returned no rows"})
        until = min(dt.date(year, 12, 31), last_completed_session(self._now, self._known_days))
        # A listing that ended (listings.csv last_session) trades no more, as a real feed shows.
        until = min(until, self._listings.last_session(mapping.symbol) or until)
        backward = year < ORIGIN_YEAR
        first = dt.date(year, 1, 1) if backward else dt.date(ORIGIN_YEAR, 1, 1)
        last = dt.date(ORIGIN_YEAR - 1, 12, 31) if backward else until
        sessions = _sessions_between(
            first, last, self._listings.get(mapping.symbol), self._known_days
        )
        walk = random_walk_bars(mapping.symbol, sessions, self.scenario.seed, backward)
        bars = apply_defects(as_traded(walk, self._actions), defects)
        in_year = bars[(bars["date"].dt.year == year) & (bars["date"] <= pd.Timestamp(until))]
        return FetchResult(
            conform_bars(in_year, mapping.symbol, year, where="synthetic source"),
            {"sessions_generated": len(in_year)},
        )

    def fetch_intraday(self, mapping: SymbolMapping, month: dt.date, interval: str) -> pd.DataFrame:
        """The month's candles, derived from this source's own daily bars of the same days."""
        minutes_per_candle(interval)
        if month.day != 1:
            raise ValueError(f"month must be the first day of a month, not {month}")
        daily = self.fetch_year(mapping, month.year).bars
        daily = daily[daily["date"].dt.month == month.month]
        candles = month_candles(
            daily,
            interval,
            self._known_days,
            lambda day: _stable_int(
                self.scenario.seed, mapping.symbol, day.isoformat(), "intraday"
            ),
            self.scenario.defects.get(mapping.symbol, {}),
        )
        if candles.empty:
            return empty_intraday()
        return conform_intraday(candles, mapping.symbol, month, where="synthetic source")
