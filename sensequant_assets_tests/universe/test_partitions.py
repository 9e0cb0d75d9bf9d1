"""Partition keys checked where they enter: one rule per key kind, every bad key named at once."""

import datetime as dt

import pytest

from sensequant_assets.universe.partitions import (
    PartitionKeyError,
    checked_month_symbols,
    checked_symbol_years,
    checked_symbols,
)


def test_valid_keys_parse() -> None:
    assert checked_symbols(["RELIANCE", "M&M", "BAJAJ-AUTO"]) == ["RELIANCE", "M&M", "BAJAJ-AUTO"]
    assert checked_symbol_years(["M&M|2024"]) == [("M&M", 2024)]
    assert checked_month_symbols(["2024-03|INFY"]) == [("INFY", dt.date(2024, 3, 1))]


@pytest.mark.parametrize(
    "bad", ["..", ".", "/abs", "a/../../b", "X" * 300, "ＡＡＡ", "INFY\n", "infy", " INFY", ""]
)
def test_a_bad_symbol_is_refused_in_every_key_kind(bad: str) -> None:
    for check, good, key in (
        (checked_symbols, "INFY", bad),
        (checked_symbol_years, "INFY|2024", f"{bad}|2024"),
        (checked_month_symbols, "2024-03|INFY", f"2024-03|{bad}"),
    ):
        with pytest.raises(PartitionKeyError, match="Nothing was read, written or deleted") as err:
            check([good, key])
        message = str(err.value)
        assert message.startswith("1 partition key(s) refused") and repr(key) in message


@pytest.mark.parametrize("year", ["24", "２０２４", "2_024", " 2024", "2024\n", "", "2024|x"])
def test_a_bad_year_is_refused(year: str) -> None:
    with pytest.raises(PartitionKeyError, match="SYMBOL\\|YEAR"):
        checked_symbol_years([f"INFY|{year}"])


@pytest.mark.parametrize("month", ["2024-3", "2024-13", "2024-00", "2024/03", "２０２４-03", ".."])
def test_a_bad_month_is_refused(month: str) -> None:
    with pytest.raises(PartitionKeyError, match="YYYY-MM\\|SYMBOL"):
        checked_month_symbols([f"{month}|INFY"])


def test_every_bad_key_of_a_run_is_named_at_once() -> None:
    with pytest.raises(PartitionKeyError, match=r"^2 partition key") as err:
        checked_symbols(["INFY", "..", "/abs"])
    assert "'..'" in str(err.value) and "'/abs'" in str(err.value)
