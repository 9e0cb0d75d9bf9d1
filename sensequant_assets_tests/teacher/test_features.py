"""Feature formulas against values worked out by hand on a six-bar series, and the properties
the feature sets promise: no look-ahead, no price levels in the default set, no twins.

Bars (t = 0..5): close 10 11 12 11 13 14, high = close + 1, low = close - 1,
volume 100 200 100 300 100 200; so the typical price equals the close and
TR = 2 2 2 3 2 from t = 1 (t = 4: |high 14 - previous close 11| = 3).
"""

import math

import numpy as np
import pandas as pd
import pytest

from sensequant_assets.teacher.features import (
    DEFAULT_FEATURE_SET,
    FEATURE_COLUMNS,
    FEATURE_SETS,
    adx,
    atr,
    bandwidth,
    bollinger,
    compute_features,
    ema,
    first_complete_row,
    get_feature_set,
    log_return,
    macd,
    obv,
    percent_b,
    price_to_sma,
    realized_volatility,
    relative_volume,
    rsi,
    sma,
    vwap,
)

CLOSE = pd.Series([10.0, 11.0, 12.0, 11.0, 13.0, 14.0])
HIGH = CLOSE + 1.0
LOW = CLOSE - 1.0
VOLUME = pd.Series([100, 200, 100, 300, 100, 200])
NAN = math.nan


def assert_series(actual: pd.Series, expected: list[float]) -> None:
    np.testing.assert_allclose(actual.to_numpy(), np.array(expected), rtol=0, atol=1e-9)


def test_sma_is_the_mean_of_the_last_n_closes() -> None:
    assert_series(sma(CLOSE, 3), [NAN, NAN, 11.0, 34 / 3, 12.0, 38 / 3])


def test_ema_is_seeded_with_the_sma_then_recursive() -> None:
    # alpha = 2 / (3 + 1) = 0.5: 11, 11 + 0.5 (11 - 11), 11 + 0.5 (13 - 11), 12 + 0.5 (14 - 12)
    assert_series(ema(CLOSE, 3), [NAN, NAN, 11.0, 11.0, 12.0, 13.0])


def test_rsi_uses_wilder_averages_of_gains_and_losses() -> None:
    # gains 1 1 0 2 1, losses 0 0 1 0 0 from t = 1; seeds AG = 2/3, AL = 1/3 at t = 3;
    # t = 4: AG = 10/9, AL = 2/9 (RS 5); t = 5: AG = 29/27, AL = 4/27 (RS 7.25)
    assert_series(rsi(CLOSE, 3), [NAN, NAN, NAN, 100 - 100 / 3, 100 - 100 / 6, 100 - 100 / 8.25])


def test_rsi_without_losses_is_100_and_flat_is_50() -> None:
    assert rsi(pd.Series([1.0, 2.0, 3.0, 4.0]), 3).iloc[-1] == 100.0
    assert rsi(pd.Series([5.0, 5.0, 5.0, 5.0]), 3).iloc[-1] == 50.0


def test_atr_is_the_wilder_average_of_the_true_range() -> None:
    # seed mean(2, 2, 2) = 2 at t = 3; 2 + (3 - 2)/3 = 7/3; 7/3 + (2 - 7/3)/3 = 20/9
    assert_series(atr(HIGH, LOW, CLOSE, 3), [NAN, NAN, NAN, 2.0, 7 / 3, 20 / 9])


def test_vwap_is_a_rolling_volume_weighted_typical_price() -> None:
    # t = 2: (10*100 + 11*200 + 12*100) / 400; t = 3: (11*200 + 12*100 + 11*300) / 600; ...
    assert_series(
        vwap(HIGH, LOW, CLOSE, VOLUME, 3), [NAN, NAN, 11.0, 6700 / 600, 5800 / 500, 7400 / 600]
    )


def test_vwap_and_obv_are_undefined_where_nothing_traded() -> None:
    idle = pd.Series([0, 0, 0, 0, 0, 0])
    assert vwap(HIGH, LOW, CLOSE, idle, 3).isna().all()
    assert obv(CLOSE, idle, 3).isna().all()


def test_bollinger_bands_use_the_population_deviation() -> None:
    upper, middle, lower = bollinger(CLOSE, 3, 2.0)
    sigma = math.sqrt(2 / 3)  # closes 10, 11, 12 around 11
    assert middle.iloc[2] == pytest.approx(11.0)
    assert upper.iloc[2] == pytest.approx(11.0 + 2 * sigma)
    assert lower.iloc[2] == pytest.approx(11.0 - 2 * sigma)


def test_macd_line_signal_and_histogram() -> None:
    # EMA_2 (alpha 2/3): 10.5, 11.5, 67/6, 223/18, 727/54; EMA_3: 11, 11, 12, 13
    # line: 1/2, 1/6, 7/18, 25/54; signal EMA_2 of the line: 1/3, 10/27, 35/81
    line, signal, histogram = macd(CLOSE, 2, 3, 2)
    assert_series(line, [NAN, NAN, 0.5, 1 / 6, 7 / 18, 25 / 54])
    assert_series(signal, [NAN, NAN, NAN, 1 / 3, 10 / 27, 35 / 81])
    assert_series(histogram, [NAN, NAN, NAN, 1 / 6 - 1 / 3, 7 / 18 - 10 / 27, 5 / 162])


def test_adx_follows_wilder() -> None:
    # +DM 1 1 0 2 1, -DM 0 0 1 0 0 from t = 1; Wilder_2 of TR: 2, 2, 2.5, 2.25 from t = 2;
    # of +DM: 1, 0.5, 1.25, 1.125; of -DM: 0, 0.5, 0.25, 0.125
    # DX: 100, 0, 100*40/60, 80; ADX = Wilder_2(DX): 50 at t = 3, then 175/3, 415/6
    assert_series(adx(HIGH, LOW, CLOSE, 2), [NAN, NAN, NAN, 50.0, 175 / 3, 415 / 6])


def test_adx_of_identical_bars_is_zero_not_nan() -> None:
    flat = pd.Series([10.0] * 8)
    assert adx(flat, flat, flat, 2).iloc[-1] == 0.0


def test_obv_is_the_net_signed_volume_share_over_n_sessions() -> None:
    # signed volume from t = 1: +200 +100 -300 +100 +200
    assert_series(obv(CLOSE, VOLUME, 3), [NAN, NAN, NAN, 0 / 600, -100 / 500, 0 / 600])


def test_price_to_sma_is_the_relative_distance_from_the_mean() -> None:
    # SMA_3: 11, 34/3, 12, 38/3 from t = 2
    assert_series(price_to_sma(CLOSE, 3), [NAN, NAN, 1 / 11, -1 / 34, 1 / 12, 2 / 19])


def test_percent_b_and_bandwidth_place_the_close_in_its_bands() -> None:
    # t = 2: closes 10 11 12, mean 11, σ = sqrt(2/3): %b = (12 - 11 + 2σ) / 4σ = 0.5 + 1 / 4σ
    # t = 3: closes 11 12 11, mean 34/3, σ = sqrt(2)/3: %b = 0.5 - (1/3) / 4σ
    sigma_2, sigma_3 = math.sqrt(2 / 3), math.sqrt(2) / 3
    b = percent_b(CLOSE, 3, 2.0)
    assert b.iloc[2] == pytest.approx(0.5 + 1 / (4 * sigma_2))
    assert b.iloc[3] == pytest.approx(0.5 - 1 / (12 * sigma_3))
    width = bandwidth(CLOSE, 3, 2.0)
    assert width.iloc[2] == pytest.approx(4 * sigma_2 / 11)
    assert width.iloc[3] == pytest.approx(4 * sigma_3 / (34 / 3))


def test_percent_b_is_undefined_without_a_band() -> None:
    flat = pd.Series([5.0] * 6)
    assert percent_b(flat, 3, 2.0).iloc[2:].isna().all()
    assert (bandwidth(flat, 3, 2.0).iloc[2:] == 0.0).all()


def test_log_return_over_n_sessions() -> None:
    expected = [NAN, NAN, math.log(1.2), 0.0, math.log(13 / 12), math.log(14 / 11)]
    assert_series(log_return(CLOSE, 2), expected)


def test_realized_volatility_is_the_sample_deviation_of_daily_log_returns() -> None:
    # two returns a, b have sample deviation |a - b| / sqrt(2)
    r = [math.log(11 / 10), math.log(12 / 11), math.log(11 / 12), math.log(13 / 11)]
    expected = [NAN, NAN, abs(r[0] - r[1]) / math.sqrt(2), abs(r[1] - r[2]) / math.sqrt(2)]
    assert_series(realized_volatility(CLOSE, 2).iloc[:4], expected)


def test_relative_volume_against_its_own_average() -> None:
    # mean of the last three volumes: 400/3, 200, 500/3, 200
    assert_series(relative_volume(VOLUME, 3), [NAN, NAN, 0.75, 1.5, 0.6, 1.0])
    assert relative_volume(pd.Series([0] * 6), 3).isna().all()


def test_the_stationary_set_on_a_steady_one_percent_rise() -> None:
    """close_t = 100 * 1.01^t: every ratio is a constant worked out in closed form."""
    t = np.arange(80)
    close = pd.Series(100.0 * 1.01**t)
    bars = pd.DataFrame({"high": close * 1.01, "low": close * 0.99, "close": close, "volume": 1000})
    row = compute_features(bars, "stationary_v1").iloc[60]

    def to_sma(n: int) -> float:
        # SMA_n = close_t * (1 - 1.01^-n) / (n * (1 - 1/1.01))
        return n * (1 - 1 / 1.01) / (1 - 1.01**-n) - 1

    assert row["close_to_sma_20"] == pytest.approx(to_sma(20), rel=1e-12)
    assert row["close_to_sma_50"] == pytest.approx(to_sma(50), rel=1e-12)
    for n in (1, 5, 20):
        assert row[f"log_return_{n}"] == pytest.approx(n * math.log(1.01), rel=1e-12)
    assert row["realized_vol_20"] == pytest.approx(0.0, abs=1e-12)
    assert row["volume_to_avg_20"] == 1.0
    assert row["rsi_14"] == 100.0  # no losses
    assert row["adx_14"] == pytest.approx(100.0)  # every move up, none down


def test_the_default_set_is_stationary_and_complete() -> None:
    default = FEATURE_SETS[DEFAULT_FEATURE_SET]
    assert DEFAULT_FEATURE_SET == "stationary_v1"
    assert default.columns == (
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
    )
    assert default.provenance() == {"feature_set": "stationary_v1", "feature_set_version": "1"}
    assert len(FEATURE_SETS["original15"].columns) == 15
    # the union a fixed-schema table needs: every column once, default set first
    assert FEATURE_COLUMNS[:15] == default.columns
    assert len(FEATURE_COLUMNS) == len(set(FEATURE_COLUMNS)) == 28
    with pytest.raises(ValueError, match="Unknown feature set 'levels'"):
        get_feature_set("levels")


def test_stationary_features_do_not_depend_on_the_price_or_share_scale(
    walk: pd.DataFrame,
) -> None:
    """Not levels: a split-like rescale of prices (x7) and volume (x3) changes nothing."""
    rescaled = walk.assign(
        **{c: walk[c] * 7.0 for c in ("open", "high", "low", "close")}, volume=walk["volume"] * 3
    )
    before = compute_features(walk, "stationary_v1")
    after = compute_features(rescaled, "stationary_v1")
    pd.testing.assert_frame_equal(before, after, check_exact=False, rtol=1e-9, atol=1e-9)
    # the original set is in rupees: the same rescale moves twelve of its fifteen columns
    moved = (compute_features(rescaled, "original15") - compute_features(walk, "original15")).abs()
    assert (moved.max() > 1e-6).sum() == 12


def test_no_two_default_features_are_the_same_series(walk: pd.DataFrame) -> None:
    """The original set holds bb_middle, which is sma_20 again; the default set has no twin."""
    features = compute_features(walk).iloc[49:]
    correlation = features.corr().abs().to_numpy()
    np.fill_diagonal(correlation, 0.0)
    assert correlation.max() < 0.999
    original = compute_features(walk, "original15").iloc[49:]
    np.testing.assert_array_equal(original["bb_middle"], original["sma_20"])


@pytest.mark.parametrize("feature_set", sorted(FEATURE_SETS))
@pytest.mark.parametrize("cut", [49, 200, 500])
def test_perturbing_later_bars_leaves_earlier_features_bit_identical(
    walk: pd.DataFrame, feature_set: str, cut: int
) -> None:
    """No look-ahead: a value at session t uses bars up to t only."""
    rng = np.random.default_rng(cut)
    later = walk.index > cut
    changed = walk.copy()
    for column in ("open", "high", "low", "close"):
        changed.loc[later, column] *= rng.uniform(0.5, 1.5, later.sum())
    changed.loc[later, "volume"] = rng.integers(1, 10_000_000, later.sum())
    before = compute_features(walk, feature_set).iloc[: cut + 1]
    after = compute_features(changed, feature_set).iloc[: cut + 1]
    pd.testing.assert_frame_equal(before, after, check_exact=True)


@pytest.mark.parametrize("feature_set", sorted(FEATURE_SETS))
def test_rolling_features_do_not_depend_on_where_the_history_starts(
    walk: pd.DataFrame, feature_set: str
) -> None:
    """A session's value is the same with a year less history, where the formula has a finite
    window (the smoothed ones converge instead; their seeding is checked above)."""
    finite = {
        "stationary_v1": [
            "close_to_sma_20",
            "close_to_sma_50",
            "bb_percent_b",
            "bb_bandwidth",
            "log_return_1",
            "log_return_5",
            "log_return_20",
            "realized_vol_20",
            "volume_to_avg_20",
        ],
        "original15": ["sma_20", "sma_50", "vwap", "bb_upper", "bb_lower", "obv"],
    }[feature_set]
    full = compute_features(walk, feature_set).set_index(walk["date"])
    later = walk[walk["date"].dt.year >= 2023].reset_index(drop=True)
    short = compute_features(later, feature_set).set_index(later["date"])
    common = short.index[60:]
    for name in finite:
        np.testing.assert_allclose(
            short.loc[common, name], full.loc[common, name], rtol=1e-9, atol=1e-10
        )


@pytest.mark.parametrize("feature_set", sorted(FEATURE_SETS))
def test_each_set_and_its_warm_up(walk: pd.DataFrame, feature_set: str) -> None:
    features = compute_features(walk, feature_set)
    assert tuple(features.columns) == FEATURE_SETS[feature_set].columns
    # SMA-50 is the longest warm-up: its first value is the 50th session.
    assert first_complete_row(features) == 49
    assert features.iloc[49:].notna().all().all()
