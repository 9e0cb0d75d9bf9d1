"""Integrity of stored bars: rules no real daily bar can break.

Ingestion already refuses nulls, non-positive prices and fractional volume; this re-checks what
is in the warehouse (written by any path, including a user's own SQL) and adds the OHLC ordering
that ingestion deliberately lets through so that users see such bars flagged, with their dates.
"""

from dataclasses import dataclass

import pandas as pd

from sensequant_assets.quality.coverage import SHOWN_DATES

PRICE_COLUMNS = ("open", "high", "low", "close")
REQUIRED_COLUMNS = ("symbol", "date", *PRICE_COLUMNS, "volume")


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


def check_integrity(bars: pd.DataFrame, partition: str) -> IntegrityResult:
    """Apply every rule to one partition's bars; each violated rule names its first dates."""
    missing = [c for c in REQUIRED_COLUMNS if c not in bars.columns]
    if missing:
        raise ValueError(f"{partition}: bars frame lacks columns {missing}; read it with read_bars")
    dates = pd.to_datetime(bars["date"], errors="coerce")
    prices = bars.loc[:, list(PRICE_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    volume = pd.to_numeric(bars["volume"], errors="coerce")
    low, high = prices["low"], prices["high"]
    body_low = prices[["open", "close"]].min(axis=1)
    body_high = prices[["open", "close"]].max(axis=1)
    rules: dict[str, pd.Series] = {
        "duplicate symbol and date": bars.duplicated(["symbol", "date"], keep="first"),
        "null values": bars.loc[:, list(REQUIRED_COLUMNS)].isna().any(axis=1)
        | prices.isna().any(axis=1)
        | volume.isna(),
        "non-positive price": (prices <= 0).any(axis=1),
        "low above open or close": low > body_low,
        "high below open or close": high < body_high,
        "negative volume": volume < 0,
        "fractional volume": volume.notna() & (volume != volume.round()),
    }
    violations = tuple(
        Violation(rule, int(mask.sum()), _first_dates(dates[mask]))
        for rule, mask in rules.items()
        if mask.any()
    )
    return IntegrityResult(partition=partition, bar_count=len(bars), violations=violations)


def _first_dates(dates: pd.Series) -> tuple[str, ...]:
    return tuple(
        "unknown date" if pd.isna(d) else d.date().isoformat() for d in dates.head(SHOWN_DATES)
    )
