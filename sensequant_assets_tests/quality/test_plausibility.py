import datetime as dt

import pandas as pd

from sensequant_assets.market.calendar import sessions_in_year
from sensequant_assets.market.corporate_actions import price_factor
from sensequant_assets.quality.plausibility import PlausibilityThresholds, check_plausibility

from .factories import bars_for


def test_calm_partition_passes() -> None:
    assert check_plausibility(bars_for("X", sessions_in_year(2022)), "X|2022").passed


def test_big_close_move_and_volume_jump_are_dated() -> None:
    days = sessions_in_year(2022)
    bars = bars_for("X", days)
    bars.loc[100:, ["open", "high", "low", "close"]] *= 1.6  # +60 % on days[100]
    bars.loc[150, "volume"] = 4_000  # 4x the trailing median of 1,000
    result = check_plausibility(bars, "X|2022")
    assert not result.passed
    assert result.close_moves == {days[100].isoformat(): 0.6}
    assert result.volume_jumps == {days[150].isoformat(): 4.0}
    text = result.describe()
    assert (
        f"1 close move(s) beyond 50% that no corporate action explains ({days[100]} +60%: it "
        "would take price factor 0.625 (adjustment 0.625))" in text
    )
    assert f"1 volume jump(s) beyond 3x the trailing 20-session median ({days[150]} 4.00x)" in text


def test_thresholds_are_configurable() -> None:
    bars = bars_for("X", sessions_in_year(2022))
    bars.loc[100:, ["open", "high", "low", "close"]] *= 1.3
    bars.loc[150, "volume"] = 2_500
    assert check_plausibility(bars, "X|2022").passed
    strict = PlausibilityThresholds(max_close_move=0.2, max_volume_ratio=2.0)
    result = check_plausibility(bars, "X|2022", strict)
    assert len(result.close_moves) == 1 and len(result.volume_jumps) == 1


def test_volume_is_not_judged_without_history() -> None:
    bars = bars_for("X", sessions_in_year(2022))
    bars.loc[2, "volume"] = 50_000
    assert check_plausibility(bars, "X|2022").volume_jumps == {}


def split_on(day: dt.date, ratio: str = "10:1") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "symbol": "X",
                "ex_date": pd.Timestamp(day),
                "kind": "split",
                "ratio": ratio,
                "factor": price_factor("split", ratio),
                "note": "",
            }
        ]
    )


def test_a_jump_a_corporate_action_accounts_for_is_explained_and_passes() -> None:
    days = sessions_in_year(2022)
    bars = bars_for("X", days, close=1000.0)
    bars.loc[100:, ["open", "high", "low", "close"]] /= 10  # as traded after a 10:1 split
    bars.loc[100:, "volume"] *= 10
    warned = check_plausibility(bars, "X|2022")
    assert not warned.passed and warned.volume_jumps  # the raw bars alone: a crash and a surge
    result = check_plausibility(bars, "X|2022", actions=split_on(days[100]))
    assert result.passed and not result.close_moves and not result.volume_jumps
    assert result.explained_moves == {
        days[100].isoformat(): f"-90% explained by split 10:1 on {days[100]}"
    }
    assert f"1 close move(s) beyond 50% explained by corporate actions ({days[100]} -90% " in (
        result.describe()
    )
    assert result.metadata()["explained_close_moves"] == result.explained_moves


def test_an_action_the_bars_do_not_show_warns_with_the_factor_it_would_take() -> None:
    """A reference row on a day without a jump (a wrong date, or a source that adjusts)."""
    days = sessions_in_year(2022)
    result = check_plausibility(bars_for("X", days), "X|2022", actions=split_on(days[100]))
    assert result.close_moves == {days[100].isoformat(): 9.0}
    assert f"{days[100]} +900%: it would take price factor 0.1 (split 1:10 (a consolidation))" in (
        result.describe()
    )
