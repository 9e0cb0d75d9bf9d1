"""Constituent lists: the original format, read strictly.

One symbol a line; `#` starts a comment; blank lines are ignored. A symbol becomes a Dagster
partition key, so anything beyond NSE's own alphabet (letters, digits, `&`, `-`) is refused with
its file and line: `|` and `,` in particular break multi-partition keys and UI backfills.

A list may also say which index it lists and when it took effect, so that membership is data
(universe/membership.py): a comment line `# effective: 2024-03-28` (the first session the list
holds) and `# index: NIFTY 100`, or the file name `<index>_<YYYY-MM-DD>.txt`
(`nifty100_2024-03-28.txt`). Without an index line the index is the file name less any date;
without a date the list means what a list always meant: these are the members from now on. A
date that is not a date is refused naming the file and line, because guessing it would move
every name's membership.
"""

import codecs
import dataclasses
import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sensequant_assets.paths import inside

NSE_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9&\-]{0,19}$")
HEADER = re.compile(r"^#\s*(effective|index)\s*:(.*)$", re.IGNORECASE)
DATED_NAME = re.compile(r"^(?P<index>.+)_(?P<date>\d{4}-\d{2}-\d{2})$")
INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9&_\-]{0,39}$")


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
    effective: dt.date | None = None
    """The first session the list holds; None for an undated list (members from now on)."""
    index: str = ""
    """The index it lists, normalised (`index_key`); empty means the file name less its date."""

    @property
    def batch(self) -> str:
        """The batch name users filter the UI by: the file name without its suffix."""
        return self.path.stem

    @property
    def index_name(self) -> str:
        """The index this list's membership belongs to."""
        if self.index:
            return self.index
        dated = DATED_NAME.match(self.path.stem)
        return index_key(dated["index"] if dated else self.path.stem)


def index_key(name: str) -> str:
    """One spelling per index: `NIFTY 100`, `nifty100` and `Nifty 100` are the same index."""
    return re.sub(r"\s+", "", name).lower()


def normalize_symbol(raw: str) -> str:
    return raw.strip().upper()


def symbol_problem(symbol: str) -> str | None:
    """Why `symbol` cannot be an NSE symbol and partition key, or None if it can."""
    if not symbol:
        return "empty symbol"
    if "|" in symbol or "," in symbol:
        return "'|' and ',' cannot appear in a symbol (they break Dagster partition keys)"
    if not NSE_SYMBOL.fullmatch(symbol):
        return "not an NSE symbol (letters, digits, '&' and '-' only, at most 20 characters)"
    return None


def parse_constituent_text(text: str, path: Path) -> ConstituentList:
    symbols: dict[str, None] = {}
    bad: list[BadLine] = []
    headers: dict[str, tuple[int, str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if header := HEADER.match(line.strip()):
            name, value = header[1].lower(), header[2].strip()
            if name in headers:
                raise ConstituentListError(
                    f"{path}:{number}: a second '# {name}:' line (the first is line "
                    f"{headers[name][0]}); keep one"
                )
            headers[name] = (number, value)
            continue
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
    return ConstituentList(
        path=path,
        symbols=tuple(symbols),
        bad_lines=tuple(bad),
        effective=_effective(path, headers.get("effective")),
        index=_index(path, headers.get("index")),
    )


def _effective(path: Path, header: tuple[int, str] | None) -> dt.date | None:
    """The list's date from its `# effective:` line or its file name; both must agree."""
    named = DATED_NAME.match(path.stem)
    from_name = None
    if named:
        try:
            from_name = dt.date.fromisoformat(named["date"])
        except ValueError:
            raise ConstituentListError(
                f"{path}: the file name's date {named['date']!r} is not a calendar date "
                "(YYYY-MM-DD); rename the file"
            ) from None
    if header is None:
        return from_name
    number, text = header
    try:
        stated = dt.date.fromisoformat(text)
    except ValueError:
        raise ConstituentListError(
            f"{path}:{number}: effective date {text!r} is not YYYY-MM-DD (e.g. "
            "'# effective: 2024-03-28', the first session the list holds); fix the line"
        ) from None
    if from_name is not None and from_name != stated:
        raise ConstituentListError(
            f"{path}:{number}: effective date {stated} disagrees with the file name's "
            f"{from_name}; make them the same"
        )
    return stated


def _index(path: Path, header: tuple[int, str] | None) -> str:
    if header is None:
        return ""
    number, text = header
    key = index_key(text)
    if not INDEX_NAME.match(key):
        raise ConstituentListError(
            f"{path}:{number}: index {text!r} is not an index name (letters, digits, spaces, "
            "'&', '_' and '-', at most 40 characters)"
        )
    return key


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
    return dataclasses.replace(parsed, path=target)


def list_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.txt") if p.is_file())
