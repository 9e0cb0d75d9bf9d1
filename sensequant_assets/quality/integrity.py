"""Integrity of stored bars: rules no real daily bar can break.

Ingestion already refuses nulls, non-positive prices and fractional volume; this re-checks what
is in the warehouse (written by any path, including a user's own SQL) and adds the OHLC ordering
that ingestion deliberately lets through so that users see such bars flagged, with their dates.
"""

from dataclasses import dataclass

import pandas as pd

from sensequant_assets.quality.coverage import SHOWN_DATES

PRICE_COLUMNS = ("open", "high", "low", "close")


@dataclass(frozen=True)
class Violation:
    rule: str
    count: int
    first_dates: tuple[str, ...]

    def __str__(self) -> str:
        more = (
            f" and {self.count - len(self.first_dates)} more"
            if self.count > len(self.first_dates)
            else ""
        )
        return f"{self.rule}: {self.count} bar(s) ({', '.join(self.first_dates)}{more})"


@dataclass(frozen=True)
class IntegrityResult:
    partition: str
    bar_count: int
    violations: tuple[Violation, ...]

    @property
    def passed(self) -> bool:
        return not self.violations

    def describe(self) -> str:
        if self.passed:
            return f"All {self.bar_count} bars of {self.partition} are well-formed."
        return "; ".join(str(v) for v in self.violations)

    def metadata(self) -> dict[str, object]:
        return {
            "bar_count": self.bar_count,
            "violation_count": sum(v.count for v in self.violations),
            **{f"{v.rule} (first dates)": list(v.first_dates) for v in self.violations},
            **{f"{v.rule} (count)": v.count for v in self.violations},
        }


def check_integrity(bars: pd.DataFrame, partition: str, stamp: str = "date") -> IntegrityResult:
    """Apply every rule to one partition's bars; each violated rule names its first dates (or
    minutes, for intraday bars: `stamp="ts"`)."""
    required = ("symbol", stamp, *PRICE_COLUMNS, "volume")
    missing = [c for c in required if c not in bars.columns]
    if missing:
        raise ValueError(f"{partition}: bars frame lacks columns {missing}; read it with read_bars")
    dates = pd.to_datetime(bars[stamp], errors="coerce")
    prices = bars.loc[:, list(PRICE_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    volume = pd.to_numeric(bars["volume"], errors="coerce")
    low, high = prices["low"], prices["high"]
    body_low = prices[["open", "close"]].min(axis=1)
    body_high = prices[["open", "close"]].max(axis=1)
    rules: dict[str, pd.Series] = {
        f"duplicate symbol and {stamp}": bars.duplicated(["symbol", stamp], keep="first"),
        "null values": bars.loc[:, list(required)].isna().any(axis=1)
        | prices.isna().any(axis=1)
        | volume.isna(),
        "non-positive price": (prices <= 0).any(axis=1),
        "low above open or close": low > body_low,
        "high below open or close": high < body_high,
        "negative volume": volume < 0,
        "fractional volume": volume.notna() & (volume != volume.round()),
    }
    violations = tuple(
        Violation(rule, int(mask.sum()), _first_stamps(dates[mask], stamp))
        for rule, mask in rules.items()
        if mask.any()
    )
    return IntegrityResult(partition=partition, bar_count=len(bars), violations=violations)


def _first_stamps(stamps: pd.Series, stamp: str) -> tuple[str, ...]:
    shape = "%Y-%m-%d" if stamp == "date" else "%Y-%m-%d %H:%M"
    return tuple(
        f"unknown {stamp}" if pd.isna(d) else d.strftime(shape) for d in stamps.head(SHOWN_DATES)
    )
