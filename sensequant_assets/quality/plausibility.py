"""Plausibility warnings: moves real markets rarely make, worth a look but not a stop.

Thresholds default to those of Qlib's data-health checker (a 50 % close move, a volume above 3x
its trailing median). Splits, bonuses and genuine news produce such moves, so these are
warnings; the dates let a user compare them with corporate actions. Moves are measured within
the partition's year: the first bar of a year has no previous close to compare with.
"""

from dataclasses import dataclass

import pandas as pd

from sensequant_assets.quality.coverage import SHOWN_DATES


@dataclass(frozen=True)
class PlausibilityThresholds:
    max_close_move: float = 0.5
    """Largest plausible absolute day-over-day close change, as a fraction."""
    max_volume_ratio: float = 3.0
    """Largest plausible volume as a multiple of the trailing median volume."""
    volume_window: int = 20
    """Sessions in the trailing median (the current bar excluded)."""
    min_volume_history: int = 5
    """Sessions of history needed before a volume jump is judged at all."""


@dataclass(frozen=True)
class PlausibilityResult:
    partition: str
    thresholds: PlausibilityThresholds
    close_moves: dict[str, float]
    """Date -> close change (fraction) for every move beyond the threshold."""
    volume_jumps: dict[str, float]
    """Date -> volume / trailing median for every jump beyond the threshold."""

    @property
    def passed(self) -> bool:
        return not self.close_moves and not self.volume_jumps

    def describe(self) -> str:
        if self.passed:
            return (
                f"No close move beyond {self.thresholds.max_close_move:.0%} and no volume above "
                f"{self.thresholds.max_volume_ratio:g}x its trailing median in {self.partition}."
            )
        parts = []
        if self.close_moves:
            parts.append(
                f"{len(self.close_moves)} close move(s) beyond "
                f"{self.thresholds.max_close_move:.0%} ({_shown(self.close_moves, '{:+.0%}')})"
            )
        if self.volume_jumps:
            parts.append(
                f"{len(self.volume_jumps)} volume jump(s) beyond "
                f"{self.thresholds.max_volume_ratio:g}x the trailing "
                f"{self.thresholds.volume_window}-session median "
                f"({_shown(self.volume_jumps, '{:.2f}x')})"
            )
        return "; ".join(parts)

    def metadata(self) -> dict[str, object]:
        return {
            "close_move_count": len(self.close_moves),
            "first_close_moves": _first(self.close_moves),
            "volume_jump_count": len(self.volume_jumps),
            "first_volume_jumps": _first(self.volume_jumps),
            "max_close_move": self.thresholds.max_close_move,
            "max_volume_ratio": self.thresholds.max_volume_ratio,
            "volume_window": self.thresholds.volume_window,
        }


def check_plausibility(
    bars: pd.DataFrame, partition: str, thresholds: PlausibilityThresholds | None = None
) -> PlausibilityResult:
    limits = thresholds or PlausibilityThresholds()
    ordered = bars.sort_values("date")
    dates = pd.to_datetime(ordered["date"]).dt.date.astype(str)
    close = ordered["close"].astype("float64")
    move = close.pct_change()
    big_move = move.abs() > limits.max_close_move
    volume = ordered["volume"].astype("float64")
    median = (
        volume.rolling(limits.volume_window, min_periods=limits.min_volume_history)
        .median()
        .shift(1)
    )
    ratio = volume / median.where(median > 0)
    jump = ratio > limits.max_volume_ratio
    return PlausibilityResult(
        partition=partition,
        thresholds=limits,
        close_moves={
            d: round(float(m), 4) for d, m in zip(dates[big_move], move[big_move], strict=True)
        },
        volume_jumps={d: round(float(r), 2) for d, r in zip(dates[jump], ratio[jump], strict=True)},
    )


def _first(values: dict[str, float]) -> dict[str, float]:
    return dict(list(values.items())[:SHOWN_DATES])


def _shown(values: dict[str, float], fmt: str) -> str:
    shown = ", ".join(f"{d} {fmt.format(v)}" for d, v in list(values.items())[:SHOWN_DATES])
    return shown + (" ..." if len(values) > SHOWN_DATES else "")
