"""Constituent lists: the original format, read strictly.

One symbol a line; `#` starts a comment; blank lines are ignored. A symbol becomes a Dagster
partition key, so anything beyond NSE's own alphabet (letters, digits, `&`, `-`) is refused with
its file and line: `|` and `,` in particular break multi-partition keys and UI backfills.
"""

import codecs
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sensequant_assets.paths import inside

NSE_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9&\-]{0,19}$")


class ConstituentListError(ValueError):
    """A list file that cannot be read at all (binary, undecodable, missing)."""


@dataclass(frozen=True)
class BadLine:
    path: Path
    line_number: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line_number}: {self.reason}: {self.text!r}"


@dataclass(frozen=True)
class ConstituentList:
    """A parsed list: valid symbols (first-occurrence order, no duplicates) and bad lines."""

    path: Path
    symbols: tuple[str, ...]
    bad_lines: tuple[BadLine, ...]

    @property
    def batch(self) -> str:
        """The batch name users filter the UI by: the file name without its suffix."""
        return self.path.stem


def normalize_symbol(raw: str) -> str:
    return raw.strip().upper()


def symbol_problem(symbol: str) -> str | None:
    """Why `symbol` cannot be an NSE symbol and partition key, or None if it can."""
    if not symbol:
        return "empty symbol"
    if "|" in symbol or "," in symbol:
        return "'|' and ',' cannot appear in a symbol (they break Dagster partition keys)"
    if not NSE_SYMBOL.match(symbol):
        return "not an NSE symbol (letters, digits, '&' and '-' only, at most 20 characters)"
    return None


def parse_constituent_text(text: str, path: Path) -> ConstituentList:
    symbols: dict[str, None] = {}
    bad: list[BadLine] = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        symbol = normalize_symbol(content)
        # Non-ASCII text is judged as written: 'ß' and 'ı' upper-case to ASCII letters.
        problem = symbol_problem(symbol if content.isascii() else content)
        if problem:
            bad.append(BadLine(path, number, line.strip(), problem))
        else:
            symbols.setdefault(symbol, None)
    return ConstituentList(path=path, symbols=tuple(symbols), bad_lines=tuple(bad))


def read_constituent_file(path: Path) -> ConstituentList:
    """Parse a list file; undecodable or binary content raises ConstituentListError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConstituentListError(f"{path}: cannot be read ({exc.strerror})") from exc
    return parse_constituent_bytes(raw, path)


def parse_constituent_bytes(raw: bytes, path: Path) -> ConstituentList:
    """Parse a list's bytes (`path` names where they came from in every message)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ConstituentListError(f"{path}: UTF-16 text; save it as UTF-8 text")
    if b"\x00" in raw:
        raise ConstituentListError(f"{path}: binary file, not a constituent list")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConstituentListError(
            f"{path}: not UTF-8 (byte {exc.start}); save it as UTF-8 text"
        ) from exc
    return parse_constituent_text(text, path)


LIST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def add_list(
    raw: bytes, source: Path, directory: Path, name: str, replace: bool = False
) -> ConstituentList:
    """Put a list into the watched folder as `<name>.txt`, only once it is wholly valid.

    A deployment's lists arrive this way rather than by a copy: a list with any bad line, no
    symbol, an unsafe name, or a name already taken by other content is refused and nothing is
    written; a good one appears at once and whole (written beside, then renamed), so the sensor
    never reads half a file. Returns the parsed list, its path the new file."""
    if not LIST_NAME.fullmatch(name) or name.endswith("."):
        raise ConstituentListError(
            f"{name!r} is not a list name: letters, digits, '_', '.' and '-', at most 64, "
            "starting with a letter or digit (it becomes the batch tag)"
        )
    parsed = parse_constituent_bytes(raw, source)
    if parsed.bad_lines:
        raise ConstituentListError(
            f"{source}: {len(parsed.bad_lines)} bad line(s), first {parsed.bad_lines[0]}; "
            "fix them and add the list again"
        )
    if not parsed.symbols:
        raise ConstituentListError(f"{source} lists no symbol")
    directory.mkdir(parents=True, exist_ok=True)
    target = inside(directory, directory / f"{name}.txt")
    if target.exists() and target.read_bytes() != raw and not replace:
        raise ConstituentListError(
            f"{target} already holds another list named {name}; add it under another name, "
            "or pass --replace to change that batch"
        )
    partial = inside(directory, directory / f".{name}.txt.partial")
    partial.write_bytes(raw)
    os.replace(partial, target)
    return ConstituentList(path=target, symbols=parsed.symbols, bad_lines=())


def list_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.txt") if p.is_file())
