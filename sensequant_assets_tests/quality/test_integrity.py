import numpy as np
import pandas as pd
import pytest

from sensequant_assets.market.calendar import sessions_in_year
from sensequant_assets.quality.integrity import check_integrity

from .factories import bars_for, year_days


def good() -> pd.DataFrame:
    return bars_for("X", year_days(2023))


def test_clean_partition_passes() -> None:
    result = check_integrity(good(), "X|2023")
    assert result.passed
    assert result.describe() == "All 246 bars of X|2023 are well-formed."


@pytest.mark.parametrize(
    ("rule", "column", "value"),
    [
        ("low above open or close", "low", 100.5),
        ("high below open or close", "high", 99.5),
        ("non-positive price", "open", 0.0),
        ("null values", "close", np.nan),
        ("negative volume", "volume", -5),
        ("fractional volume", "volume", 10.5),
    ],
)
def test_each_rule_fails_with_the_offending_date(rule: str, column: str, value: float) -> None:
    bars = good()
    bars[column] = bars[column].astype("float64")
    bars.loc[40, column] = value
    day = bars["date"].iloc[40].date().isoformat()
    result = check_integrity(bars, "X|2023")
    assert not result.passed
    assert [(v.rule, v.count, v.first_dates) for v in result.violations if v.rule == rule] == [
        (rule, 1, (day,))
    ]
    assert f"{rule}: 1 bar(s) ({day})" in result.describe()
    assert result.metadata()[f"{rule} (count)"] == 1


def test_duplicates_are_counted_and_dated() -> None:
    days = sessions_in_year(2023)
    bars = pd.concat([good(), bars_for("X", days[:7])], ignore_index=True)
    result = check_integrity(bars, "X|2023")
    (violation,) = result.violations
    assert violation.rule == "duplicate symbol and date" and violation.count == 7
    assert violation.first_dates == tuple(d.isoformat() for d in days[:5])
    assert str(violation).endswith("and 2 more)")


def test_missing_columns_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="X\\|2023: bars frame lacks columns \\['volume'\\]"):
        check_integrity(good().drop(columns="volume"), "X|2023")
