"""Feature formulas against values worked out by hand on a six-bar series.

Bars (t = 0..5): close 10 11 12 11 13 14, high = close + 1, low = close - 1,
volume 100 200 100 300 100 200; so the typical price equals the close and
TR = 2 2 2 3 2 from t = 1 (t = 4: |high 14 - previous close 11| = 3).
"""

import math

import numpy as np
import pandas as pd
import pytest

from sensequant_assets.teacher.features import (
    FEATURE_NAMES,
    adx,
    atr,
    bollinger,
    compute_features,
    ema,
    first_complete_row,
    macd,
    obv,
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


def test_rolling_features_do_not_depend_on_where_the_history_starts(walk: pd.DataFrame) -> None:
    """Why obv and vwap are rolling: a session's value is the same with a year less history."""
    full = compute_features(walk).set_index(walk["date"])
    later = walk[walk["date"].dt.year >= 2023].reset_index(drop=True)
    short = compute_features(later).set_index(later["date"])
    common = short.index[60:]
    for name in ("sma_20", "sma_50", "vwap", "bb_upper", "bb_lower", "obv"):
        np.testing.assert_allclose(short.loc[common, name], full.loc[common, name], rtol=1e-9)


def test_the_fifteen_features_and_their_warm_up(walk: pd.DataFrame) -> None:
    features = compute_features(walk)
    assert tuple(features.columns) == FEATURE_NAMES
    assert len(FEATURE_NAMES) == 15
    # SMA-50 is the longest warm-up: its first value is the 50th session.
    assert first_complete_row(features) == 49
    assert features.iloc[49:].notna().all().all()
