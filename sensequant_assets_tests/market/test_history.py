"""The first year is a deployment setting with bounds and a clear error naming its variable."""

import datetime as dt

import pydantic
import pytest

from sensequant_assets.market.history import (
    DEFAULT_FIRST_YEAR,
    HistorySettings,
    check_first_year,
    first_year,
)


def test_unset_is_the_default_depth_breeze_serves() -> None:
    assert first_year({}) == DEFAULT_FIRST_YEAR == 2016
    assert first_year({"SENSEQUANT_FIRST_YEAR": " 2019 "}) == 2019
    assert HistorySettings(first_year=2016).years_through(
        dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC)  # 2027-01-01 01:30 IST
    ) == list(range(2016, 2028))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("ten", "SENSEQUANT_FIRST_YEAR='ten' is not a year"),
        ("2016.5", "SENSEQUANT_FIRST_YEAR='2016.5' is not a year"),
        ("1999", "SENSEQUANT_FIRST_YEAR=1999 is outside 2000-"),
        ("3000", "SENSEQUANT_FIRST_YEAR=3000 is outside 2000-"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        first_year({"SENSEQUANT_FIRST_YEAR": raw})


def test_the_resource_holds_the_same_bounds() -> None:
    with pytest.raises(pydantic.ValidationError, match="SENSEQUANT_FIRST_YEAR=1990 is outside"):
        HistorySettings(first_year=1990)
    assert check_first_year(2026, dt.date(2026, 12, 7)) == 2026
    with pytest.raises(ValueError, match="outside 2000-2026"):
        check_first_year(2027, dt.date(2026, 12, 7))
