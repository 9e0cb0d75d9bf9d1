"""What no source may hand the warehouse: each refusal names the partition and the dates."""

import numpy as np
import pandas as pd
import pytest

from sensequant_assets.sources.bars import BarsValidationError, conform_bars


def frame(**overrides: object) -> pd.DataFrame:
    base = {
        "symbol": ["INFY", "INFY"],
        "date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
        "open": [10.0, 11.0],
        "high": [12.0, 12.0],
        "low": [9.0, 10.0],
        "close": [11.0, 11.5],
        "volume": [100, 200],
        "source": ["breeze", "breeze"],
    }
    return pd.DataFrame({**base, **overrides})


def test_clean_bars_pass_in_canonical_types() -> None:
    bars = conform_bars(frame(volume=[100.0, 200.0]), "INFY", 2024, "test")
    assert bars["volume"].dtype == "int64" and bars["open"].dtype == "float64"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"close": [11.0, np.nan]}, "close is missing (NaN) on 2024-01-02"),
        ({"open": [-1.0, 11.0]}, "open is not a positive price on 2024-01-01"),
        ({"high": [np.inf, 12.0]}, "infinite price on 2024-01-01"),
        ({"volume": [100, -5]}, "volume is negative on 2024-01-02"),
        ({"volume": [100.5, 200]}, "whole number of shares"),
        ({"volume": [np.inf, 200]}, "volume is missing or not a finite number on 2024-01-01"),
        (
            {"date": pd.to_datetime(["2024-01-01", "2024-01-01"])},
            "duplicate symbol and date on 2024-01-01",
        ),
        ({"date": pd.to_datetime(["2023-12-29", "2024-01-01"])}, "outside 2024: 2023-12-29"),
    ],
)
def test_refusals_name_partition_and_dates(overrides: dict, message: str) -> None:
    with pytest.raises(BarsValidationError) as error:
        conform_bars(frame(**overrides), "INFY", 2024, "GET historicalcharts")
    assert "GET historicalcharts (INFY|2024)" in str(error.value)
    assert message in str(error.value)


def test_missing_columns_are_named() -> None:
    with pytest.raises(BarsValidationError, match=r"missing columns \['volume'\]"):
        conform_bars(frame().drop(columns=["volume"]), "INFY", 2024, "test")
