from sensequant_assets.market.calendar import sessions_in_year
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
    assert f"1 close move(s) beyond 50% ({days[100]} +60%)" in text
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
