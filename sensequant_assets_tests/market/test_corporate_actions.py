"""Corporate-action factors, and bars adjusted by them without touching the raw ones."""

import datetime as dt

import pandas as pd
import pytest

from sensequant_assets.market.calendar import sessions_in_year
from sensequant_assets.market.corporate_actions import (
    adjusted_bars,
    adjustment_factors,
    price_factor,
    suggested_action,
)
from sensequant_assets_tests.quality.factories import bars_for


def actions(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "symbol": symbol,
                "ex_date": pd.Timestamp(ex_date),
                "kind": kind,
                "ratio": ratio,
                "factor": price_factor(kind, ratio),
                "note": "",
            }
            for symbol, ex_date, kind, ratio in rows
        ]
    )


@pytest.mark.parametrize(
    ("kind", "ratio", "factor"),
    [
        ("split", "10:1", 10.0),
        ("split", "2:1", 2.0),
        ("split", "1:10", 0.1),
        ("bonus", "1:1", 2.0),
        ("bonus", "4:1", 5.0),
        ("bonus", "1:3", 4 / 3),
        ("bonus", "1:2", 1.5),
        ("adjustment", "1.25", 1.25),
        ("adjustment", "2841.85/2580", 2841.85 / 2580),
    ],
)
def test_price_factor_of_each_kind(kind: str, ratio: str, factor: float) -> None:
    assert price_factor(kind, ratio) == pytest.approx(factor)


@pytest.mark.parametrize(
    ("kind", "ratio", "message"),
    [
        ("dividend", "1:1", "kind must be one of split, bonus, adjustment"),
        ("split", "10", "a split ratio is written a:b"),
        ("bonus", "1:0", "is not a ratio of positive numbers"),
        ("split", "x:1", "is not a ratio of positive numbers"),
        ("adjustment", "-2", "is not a ratio of positive numbers"),
        ("adjustment", "1", "changes nothing"),
    ],
)
def test_a_bad_ratio_says_what_is_wrong(kind: str, ratio: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        price_factor(kind, ratio)


def test_a_split_is_undone_before_its_ex_date_and_the_raw_bars_stay() -> None:
    days = sessions_in_year(2022)
    raw = bars_for("TATASTEEL", days, close=1000.0)
    raw.loc[100:, ["open", "high", "low", "close"]] /= 10  # as traded: a tenth from days[100]
    raw.loc[100:, "volume"] *= 10
    before = raw.copy()
    split = actions(("TATASTEEL", days[100].isoformat(), "split", "10:1"))
    adjusted = adjusted_bars(raw, split)
    pd.testing.assert_frame_equal(raw, before)
    assert adjusted["close"].tolist() == [100.0] * len(days)
    assert adjusted["volume"].tolist() == [10_000] * len(days)
    assert list(adjusted.columns) == list(raw.columns) and adjusted.index.equals(raw.index)


def test_actions_multiply_apply_by_symbol_and_reach_back_from_later_years() -> None:
    days = sessions_in_year(2023)
    bars = pd.concat([bars_for("A", days), bars_for("B", days)], ignore_index=True)
    table = actions(
        ("A", "2023-06-15", "split", "2:1"),
        ("A", "2023-06-15", "bonus", "4:1"),
        ("A", "2025-08-26", "bonus", "1:1"),
    )
    factors = adjustment_factors(bars, table)
    a_dates = bars.loc[bars["symbol"] == "A", "date"].dt.date
    expected = [20.0 if d < dt.date(2023, 6, 15) else 2.0 for d in a_dates]
    assert factors[bars["symbol"] == "A"].tolist() == expected
    assert (factors[bars["symbol"] == "B"] == 1.0).all()


def test_an_ex_date_on_a_holiday_applies_from_the_next_session() -> None:
    bars = bars_for("X", [dt.date(2024, 6, 21), dt.date(2024, 6, 24)])
    saturday = actions(("X", "2024-06-22", "bonus", "1:1"))
    assert adjustment_factors(bars, saturday).tolist() == [2.0, 1.0]


def test_no_actions_leave_the_bars_as_they_are() -> None:
    bars = bars_for("X", sessions_in_year(2022))
    pd.testing.assert_frame_equal(adjusted_bars(bars, actions()), bars)


@pytest.mark.parametrize(
    ("factor", "text"),
    [
        (10.15, "split 10:1 or bonus 9:1"),
        (2.0, "split 2:1 or bonus 1:1"),
        (0.1, "split 1:10 (a consolidation)"),
        (0.625, "adjustment 0.625"),
    ],
)
def test_the_simplest_action_for_a_factor(factor: float, text: str) -> None:
    assert suggested_action(factor) == text
