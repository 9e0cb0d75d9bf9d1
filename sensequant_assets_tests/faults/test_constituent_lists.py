"""Constituent-list faults not covered in universe/test_constituents.py."""

import codecs
from pathlib import Path

import pytest

from sensequant_assets.universe.constituents import (
    ConstituentListError,
    parse_constituent_text,
    read_constituent_file,
)


def test_an_empty_file_and_a_comments_only_file_hold_no_symbols_and_no_errors(tmp_path: Path):
    for name, content in {"empty.txt": b"", "comments.txt": b"# none yet\r\n\r\n   \n"}.items():
        path = tmp_path / name
        path.write_bytes(content)
        parsed = read_constituent_file(path)
        assert (parsed.symbols, parsed.bad_lines) == ((), ())


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
def test_utf16_text_is_named_as_such_not_as_binary(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "notepad.txt"
    codec = "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be"
    path.write_bytes(bom + "INFY\r\nTCS\r\n".encode(codec))
    with pytest.raises(ConstituentListError, match=r"notepad\.txt: UTF-16 text; save it as UTF-8"):
        read_constituent_file(path)


@pytest.mark.parametrize("line", ["maß", "ınfy", "ＩＮＦＹ", "INFY\u200b"])
def test_non_ascii_never_upper_cases_into_a_valid_symbol(tmp_path: Path, line: str) -> None:
    """'ß'.upper() is 'SS' and 'ı'.upper() is 'I': such lines must not become MASS or INFY."""
    parsed = parse_constituent_text(f"TCS\n{line}\n", tmp_path / "l.txt")
    assert parsed.symbols == ("TCS",)
    [bad] = parsed.bad_lines
    assert bad.line_number == 2 and "not an NSE symbol" in bad.reason


def test_a_comma_separated_line_and_a_pipe_key_are_refused_whole(tmp_path: Path) -> None:
    parsed = parse_constituent_text("INFY, TCS, WIPRO\nTCS|2024\n", tmp_path / "l.txt")
    assert parsed.symbols == ()
    assert [b.line_number for b in parsed.bad_lines] == [1, 2]
    assert all("'|' and ','" in b.reason for b in parsed.bad_lines)


def test_thousands_of_lines_with_mixed_endings_keep_order_and_exact_line_numbers(tmp_path: Path):
    lines = [f"s{i:05d}" for i in range(6000)]  # lower-case, each symbol twice
    lines += lines
    lines[4321] = "BAD SYMBOL"
    path = tmp_path / "big.txt"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + "\r\n".join(lines[:7000]).encode()
        + b"\n"
        + "\n".join(lines[7000:]).encode()
    )
    parsed = read_constituent_file(path)
    assert len(parsed.symbols) == 6000
    assert parsed.symbols[:2] == ("S00000", "S00001")
    assert parsed.symbols[-2:] == ("S05999", "S04321")  # first seen again on line 10322
    [bad] = parsed.bad_lines
    assert (bad.line_number, bad.text) == (4322, "BAD SYMBOL")
