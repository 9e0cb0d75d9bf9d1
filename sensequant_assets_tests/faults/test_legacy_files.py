"""Legacy-CSV faults not covered in ingestion/test_legacy_csv.py, and one through the asset."""

import dagster as dg
import pytest

from sensequant_assets.sources.legacy_csv import LegacyCsvSource, LegacyFileError
from sensequant_assets_tests.defs.ingestion.test_assets import (
    SYMBOLS,
    ingest,
    snapshot,
    step_failure,
)
from sensequant_assets_tests.sources.test_legacy_csv import HEADER, bar, fetch, legacy, write

__all__ = ["legacy"]  # the fixture, shared with ingestion/test_legacy_csv.py


def test_mixed_time_zones_within_one_file_map_to_ist_sessions(legacy: LegacyCsvSource) -> None:
    write(
        legacy.root,
        "OBEROI",
        "2024-02-05_to_2024-02-07.csv",
        [
            bar("2024-02-05"),  # IST
            "2024-02-05T18:30:00Z,1,2,1,2,5",  # UTC: 2024-02-06 00:00 IST
            "2024-02-07 09:15:00,1,2,1,2,5",  # naive: IST wall clock
        ],
    )
    dates = fetch(legacy).bars["date"].dt.date.astype(str).tolist()
    assert dates[-3:] == ["2024-02-05", "2024-02-06", "2024-02-07"]


def test_two_zones_naming_one_session_are_a_duplicate_with_its_line(legacy: LegacyCsvSource):
    path = write(
        legacy.root,
        "OBEROI",
        "2024-02-05_to_2024-02-06.csv",
        [bar("2024-02-06"), "2024-02-05T18:30:00+00:00,1,2,1,2,5"],
    )
    with pytest.raises(LegacyFileError, match=rf"{path}:3: second bar for 2024-02-06"):
        fetch(legacy)


@pytest.mark.parametrize(
    ("value", "column"),
    [("inf", "close"), ("-inf", "low"), ("", "open"), ("NaN", "high"), ("1e400", "volume")],
)
def test_non_finite_and_empty_numbers_name_file_line_and_column(legacy, value, column) -> None:
    row = dict(zip(HEADER.strip().split(","), bar("2024-02-01").split(","), strict=True))
    row[column] = value
    path = write(legacy.root, "OBEROI", "2024-02-01.csv", [",".join(row.values())])
    with pytest.raises(LegacyFileError, match=rf"{path}:2: {column} is not a number"):
        fetch(legacy)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00t\x00i", "cannot be parsed as CSV"),
        (
            "timestamp,open,high,low,close,volume\n2024-02-01,1,2,1,2,caf\xe9\n".encode("latin-1"),
            "cannot be parsed as CSV",
        ),
        (b"\n\n", "empty file"),
    ],
)
def test_binary_non_utf8_and_blank_files_are_refused_by_name(legacy, content, message) -> None:
    path = legacy.root / "OBEROI" / "1day" / "2024-02-01.csv"
    path.write_bytes(content)
    with pytest.raises(LegacyFileError, match=message) as error:
        fetch(legacy)
    assert str(path) in str(error.value)


def test_bom_and_crlf_files_import(legacy: LegacyCsvSource) -> None:
    path = legacy.root / "OBEROI" / "1day" / "2024-02-01.csv"
    path.write_bytes(("\ufeff" + HEADER + bar("2024-02-01") + "\n").replace("\n", "\r\n").encode())
    assert fetch(legacy).bars["date"].dt.date.astype(str).tolist()[-1] == "2024-02-01"


def test_a_bad_file_fails_the_daily_bars_run_naming_it_and_keeps_the_previous_rows(
    legacy: LegacyCsvSource, instance: dg.DagsterInstance, warehouse
):
    def run() -> dg.ExecuteInProcessResult:
        return ingest(
            instance, warehouse, legacy, start=f"{SYMBOLS[0]}|2024", end=f"{SYMBOLS[-1]}|2024"
        )

    assert run().success
    before = snapshot(warehouse)
    assert before[0] == 3  # OBEROI's three January bars; the other symbols are unmapped
    bad = write(legacy.root, "OBEROI", "2024-03-01.csv", ["2024-03-01 00:00:00+05:30,1,2,1,,5"])
    result = run()
    assert not result.success
    message = step_failure(result).description
    assert f"OBEROI|2024: LegacyFileError: {bad}:2: close is not a number" in message
    assert "1 of 4 daily_bars partitions failed and kept their stored rows" in message
    assert snapshot(warehouse) == before
