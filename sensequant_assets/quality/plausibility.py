"""Plausibility warnings: moves real markets rarely make, worth a look but not a stop.

Thresholds default to those of Qlib's data-health checker (a 50 % close move, a volume above 3x
its trailing median). Splits, bonuses and demergers move raw prices that much without anything
happening to the company, so moves are judged on bars adjusted by the corporate actions in
data/reference/corporate_actions.csv: a raw jump an action accounts for is reported as explained
(and passes), one that none accounts for warns, naming the price factor an action would need.
Moves are measured within the partition's year: the first bar of a year has no previous close.
"""

from dataclasses import dataclass

import pandas as pd

from sensequant_assets.market.corporate_actions import (
    actions_between,
    adjusted_bars,
    describe_action,
    suggested_action,
)
from sensequant_assets.quality.coverage import SHOWN_DATES
from sensequant_assets.universe.reference import CORPORATE_ACTIONS_FILE

ACTIONS_FILE = f"data/reference/{CORPORATE_ACTIONS_FILE}"


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
    """Date -> close change (fraction, after corporate actions) for every move beyond the
    threshold that no corporate action explains."""
    volume_jumps: dict[str, float]
    """Date -> volume / trailing median (in adjusted shares) for every jump beyond the threshold."""
    explained_moves: dict[str, str]
    """Date -> 'the raw move, explained by <kind> <ratio> on <ex-date>' for raw moves beyond the
    threshold that corporate actions account for."""

    @property
    def passed(self) -> bool:
        return not self.close_moves and not self.volume_jumps

    def describe(self) -> str:
        limit = f"{self.thresholds.max_close_move:.0%}"
        parts = []
        if self.close_moves:
            parts.append(
                f"{len(self.close_moves)} close move(s) beyond {limit} that no corporate action "
                f"explains ({_unexplained(self.close_moves)}); if an action caused one, add its "
                f"row to {ACTIONS_FILE}"
            )
        if self.volume_jumps:
            parts.append(
                f"{len(self.volume_jumps)} volume jump(s) beyond "
                f"{self.thresholds.max_volume_ratio:g}x the trailing "
                f"{self.thresholds.volume_window}-session median "
                f"({_shown(self.volume_jumps, '{:.2f}x')})"
            )
        if self.explained_moves:
            explained = ", ".join(
                f"{day} {text}" for day, text in list(self.explained_moves.items())[:SHOWN_DATES]
            )
            parts.append(
                f"{len(self.explained_moves)} close move(s) beyond {limit} explained by corporate "
                f"actions ({explained})"
            )
        if not parts:
            return (
                f"No close move beyond {limit} and no volume above "
                f"{self.thresholds.max_volume_ratio:g}x its trailing median in {self.partition}."
            )
        return "; ".join(parts)

    def metadata(self) -> dict[str, object]:
        return {
            "close_move_count": len(self.close_moves),
            "first_close_moves": _first(self.close_moves),
            "volume_jump_count": len(self.volume_jumps),
            "first_volume_jumps": _first(self.volume_jumps),
            "explained_close_moves": dict(list(self.explained_moves.items())[:SHOWN_DATES]),
            "max_close_move": self.thresholds.max_close_move,
            "max_volume_ratio": self.thresholds.max_volume_ratio,
            "volume_window": self.thresholds.volume_window,
        }


def check_plausibility(
    bars: pd.DataFrame,
    partition: str,
    thresholds: PlausibilityThresholds | None = None,
    actions: pd.DataFrame | None = None,
) -> PlausibilityResult:
    """Close moves and volume jumps of one partition, judged after its corporate `actions`
    (rows of the reference file: symbol, ex_date, kind, ratio, factor; any symbols)."""
    limits = thresholds or PlausibilityThresholds()
    ordered = bars.sort_values("date")
    adjusted = ordered if actions is None else adjusted_bars(ordered, actions)
    days = pd.to_datetime(ordered["date"]).dt.date
    dates = days.astype(str)
    move = adjusted["close"].astype("float64").pct_change()
    raw_move = ordered["close"].astype("float64").pct_change()
    big_move = move.abs() > limits.max_close_move
    explained = (raw_move.abs() > limits.max_close_move) & ~big_move
    volume = adjusted["volume"].astype("float64")
    median = (
        volume.rolling(limits.volume_window, min_periods=limits.min_volume_history)
        .median()
        .shift(1)
    )
    ratio = volume / median.where(median > 0)
    jump = ratio > limits.max_volume_ratio
    previous = days.shift(1)
    return PlausibilityResult(
        partition=partition,
        thresholds=limits,
        close_moves={
            d: round(float(m), 4) for d, m in zip(dates[big_move], move[big_move], strict=True)
        },
        volume_jumps={d: round(float(r), 2) for d, r in zip(dates[jump], ratio[jump], strict=True)},
        # Adjusted and raw moves differ only across an ex-date, so `actions` is set here.
        explained_moves={
            str(day): f"{raw_move[i]:+.0%} explained by "
            + " and ".join(
                describe_action(a.kind, a.ratio, a.ex_date.date())
                for a in actions_between(
                    actions, ordered.at[i, "symbol"], previous[i], day
                ).itertuples()
            )
            for i, day in days[explained].items()
        },
    )


def _unexplained(moves: dict[str, float]) -> str:
    """Each move with the price factor (close before / close on the day) that would explain it."""
    shown = [
        f"{day} {move:+.0%}: it would take price factor {1 / (1 + move):.4g} "
        f"({suggested_action(1 / (1 + move))})"
        for day, move in list(moves.items())[:SHOWN_DATES]
    ]
    return ", ".join(shown) + (" ..." if len(moves) > SHOWN_DATES else "")


def _first(values: dict[str, float]) -> dict[str, float]:
    return dict(list(values.items())[:SHOWN_DATES])


def _shown(values: dict[str, float], fmt: str) -> str:
    shown = ", ".join(f"{d} {fmt.format(v)}" for d, v in list(values.items())[:SHOWN_DATES])
    return shown + (" ..." if len(values) > SHOWN_DATES else "")
