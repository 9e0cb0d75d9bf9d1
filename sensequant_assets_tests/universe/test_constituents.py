from pathlib import Path

import pytest

from sensequant_assets.paths import REPO_ROOT
from sensequant_assets.universe.constituents import (
    ConstituentListError,
    parse_constituent_text,
    read_constituent_file,
)


def test_original_format_with_comments_blank_lines_and_case(tmp_path: Path) -> None:
    text = "# batch\n\nreliance\n  TCS  # inline comment\nM&M\nBAJAJ-AUTO\nreliance\n"
    parsed = parse_constituent_text(text, tmp_path / "b.txt")
    assert parsed.symbols == ("RELIANCE", "TCS", "M&M", "BAJAJ-AUTO")
    assert parsed.bad_lines == ()
    assert parsed.batch == "b"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("BAD|KEY", "'|' and ','"),
        ("A,B", "'|' and ','"),
        ("NOT A SYMBOL", "not an NSE symbol"),
        ("ÄPFEL", "not an NSE symbol"),
        ("X" * 21, "not an NSE symbol"),
    ],
)
def test_bad_lines_are_reported_with_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "list.txt"
    parsed = parse_constituent_text(f"INFY\n{line}\nTCS\n", path)
    assert parsed.symbols == ("INFY", "TCS")
    [bad] = parsed.bad_lines
    assert (bad.path, bad.line_number) == (path, 2)
    assert reason in bad.reason
    assert f"{path}:2:" in str(bad)


def test_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "win.txt"
    path.write_bytes("\ufeffINFY\r\ntcs\r\n".encode())
    assert read_constituent_file(path).symbols == ("INFY", "TCS")


def test_binary_and_non_utf8_files_are_refused_by_name(tmp_path: Path) -> None:
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"INFY\x00\x01\x02")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("INFY\nCAF\xc9\n".encode("latin-1"))
    with pytest.raises(ConstituentListError, match=r"bin\.txt: binary"):
        read_constituent_file(binary)
    with pytest.raises(ConstituentListError, match=r"latin\.txt: not UTF-8"):
        read_constituent_file(latin)


def test_shipped_lists_parse_cleanly() -> None:
    lists = {
        p.name: read_constituent_file(p) for p in (REPO_ROOT / "data/constituents").glob("*.txt")
    }
    assert len(lists["nifty100_batch4.txt"].symbols) == 36
    assert len(lists["nifty100_batch5.txt"].symbols) == 30
    assert "OBEROI" in lists["demo.txt"].symbols
    assert all(not parsed.bad_lines for parsed in lists.values())
