"""Import from the original on-disk cache: a small fixture tree, including malformed files."""

import json
import os
from pathlib import Path

import pytest

from sensequant_assets.sources.bars import BarsValidationError
from sensequant_assets.sources.legacy_csv import LegacyCsvSource, LegacyFileError

HEADER = "timestamp,open,high,low,close,volume\n"


def write(root: Path, symbol: str, name: str, rows: list[str], header: str = HEADER) -> Path:
    folder = root / symbol / "1day"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(header + "".join(f"{row}\n" for row in rows))
    return path


def bar(day: str, close: float = 101.0, volume: str = "1000", tz: str = "+05:30") -> str:
    return f"{day} 00:00:00{tz},100.0,102.0,99.0,{close},{volume}"


@pytest.fixture
def legacy(tmp_path: Path) -> LegacyCsvSource:
    root = tmp_path / "historical"
    (root / "metadata").mkdir(parents=True)
    (root / "metadata" / "symbol_mappings_batch4.json").write_text(
        json.dumps(
            {
                "mappings": {"OBEROI": "OBEREA"},
                "symbol_details": [
                    {
                        "nse_symbol": "OBEROI",
                        "isec_code": "OBEREA",
                        "isec_token": "20242",
                        "company_name": "OBEROI REALTY LIMITED",
                        "status": "success",
                    }
                ],
            }
        )
    )
    write(root, "OBEROI", "2024-01-01.csv", [bar("2024-01-01")])
    write(root, "OBEROI", "2024-01-02.csv", [bar("2024-01-02")])
    write(
        root,
        "OBEROI",
        "2024-01-01_to_2024-01-31.csv",
        [bar("2024-01-01"), bar("2024-01-02"), bar("2024-01-03", 103.0)],
    )
    write(root, "OBEROI", "2023-12-29.csv", [bar("2023-12-29")])
    return LegacyCsvSource(root_dir=str(root))


def fetch(source: LegacyCsvSource, year: int = 2024, symbol: str = "OBEROI"):
    return source.fetch_year(source.lookup(symbol, symbol), year)


def test_per_day_and_range_files_merge(legacy: LegacyCsvSource) -> None:
    result = fetch(legacy)
    assert [d.isoformat() for d in result.bars["date"].dt.date] == [
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
    ]
    assert set(result.bars["source"]) == {"csv"} and result.stats["files"] == 3
    assert len(fetch(legacy, 2023).bars) == 1


def test_mapping_comes_from_the_original_metadata(legacy: LegacyCsvSource) -> None:
    assert legacy.lookup("OBEROI", "OBEROIRLTY").isec_code == "OBEREA"
    missing = legacy.lookup("TCS", "TCS")
    assert missing.status == "failed" and "symbol_mappings" in (missing.error or "")


def test_utc_timestamps_become_ist_session_dates(legacy: LegacyCsvSource) -> None:
    # 2024-01-04 00:00 IST written in UTC is the previous evening.
    write(legacy.root, "OBEROI", "2024-01-04.csv", ["2024-01-03 18:30:00+00:00,1,2,1,2,5"])
    assert fetch(legacy).bars["date"].dt.date.astype(str).tolist()[-1] == "2024-01-04"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "2024-02-01.csv",
            "timestamp,open,high,low,close\n2024-02-01,1,1,1,1\n",
            "missing ['volume']",
        ),
        ("2024-02-01.csv", HEADER + "yesterday,1,1,1,1,1\n", ":2: unparseable timestamp"),
        (
            "2024-02-01.csv",
            HEADER + bar("2024-02-01", volume="nan") + "\n",
            ":2: volume is not a number",
        ),
        (
            "2024-02-01_to_2024-02-02.csv",
            HEADER + bar("2024-02-01") + "\n" + bar("2024-02-02", close="inf") + "\n",
            ":3: close is not a number ('inf')",
        ),
        (
            "2024-02-01.csv",
            HEADER + bar("2024-02-01", volume="") + "\n",
            ":2: volume is not a number ('')",
        ),
        ("2024-02-01.csv", "", "empty file"),
        (
            "2024-02-01.csv",
            HEADER + bar("2024-02-01") + "\n" + bar("2024-02-01") + "\n",
            ":3: second bar",
        ),
        ("notes.csv", HEADER, "unexpected file name"),
    ],
)
def test_malformed_files_name_the_file_and_problem(legacy, name, content, message) -> None:
    path = legacy.root / "OBEROI" / "1day" / name
    path.write_text(content)
    with pytest.raises(LegacyFileError) as error:
        fetch(legacy)
    assert str(path) in str(error.value) and message in str(error.value)


def test_negative_volume_is_refused(legacy: LegacyCsvSource) -> None:
    write(legacy.root, "OBEROI", "2024-02-01.csv", [bar("2024-02-01", volume="-5")])
    with pytest.raises(
        BarsValidationError, match=r"OBEROI\|2024.*volume is negative on 2024-02-01"
    ):
        fetch(legacy)


def test_conflicting_overlaps_name_both_files(legacy: LegacyCsvSource) -> None:
    write(legacy.root, "OBEROI", "2024-01-03.csv", [bar("2024-01-03", 999.0)])
    with pytest.raises(
        LegacyFileError, match=r"conflicting bars for 2024-01-03 in .*2024-01-01_to"
    ):
        fetch(legacy)


def test_read_only_tree_imports(legacy: LegacyCsvSource) -> None:
    for path in legacy.root.rglob("*.csv"):
        os.chmod(path, 0o444)
    assert len(fetch(legacy).bars) == 3
