"""Checked-in reference data: aliases, listing dates, calendar corrections, corporate actions.

The universe key, the NSE ticker used for lookup and the ISEC code are three different things
(universe OBEROI is NSE OBEROIRLTY is ISEC OBEREA); aliases map the first to the second.
Listing dates tell coverage where a symbol's history begins (LICI listed 2022-05-17) and, for a
listing that ended (delisted, merged away, suspended), where it ends. Symbol changes
(symbol_changes.csv) say which old NSE tickers are a company's former names, so that membership
follows the company across a rename (ISEC codes stay). The calendar
corrections (sessions.csv) and corporate actions (corporate_actions.csv) hold what exchange data
packages do not: days the exchange calendar gets wrong, and the splits and bonuses that make raw
prices jump. Every file is CSV with a header and `#` comment lines, extended by users; a bad row
is refused naming its file and line.
"""

import csv
import datetime as dt
from pathlib import Path

import pandas as pd

from sensequant_assets.market.calendar import KnownDays
from sensequant_assets.market.corporate_actions import ACTION_COLUMNS, price_factor

SESSIONS_FILE = "sessions.csv"
CORPORATE_ACTIONS_FILE = "corporate_actions.csv"
SYMBOL_CHANGES_FILE = "symbol_changes.csv"
MEMBERSHIP_DIR = "membership"


class ReferenceFileError(ValueError):
    pass


def _rows(
    path: Path, columns: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[tuple[int, dict[str, str]]]:
    """(line number in the file, row) of each data row; comment and blank lines are skipped.

    `optional` columns were added later: a file may end its header before them, and a row may end
    before them (its value is then None), so files written before they existed still load.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        kept = [
            (number, line)
            for number, line in enumerate(handle, start=1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
    reader = csv.DictReader(line for _, line in kept)
    accepted = [columns + optional[:n] for n in range(len(optional) + 1)]
    if tuple(reader.fieldnames or ()) not in accepted:
        raise ReferenceFileError(
            f"{path}: header must be {' or '.join(','.join(names) for names in accepted)}"
        )
    # reader.line_num counts the kept lines consumed so far: map it back to the file's numbering.
    return [(kept[reader.line_num - 1][0], row) for row in reader]


def _date(path: Path, number: int, row: dict[str, str], column: str) -> dt.date:
    try:
        return dt.date.fromisoformat((row[column] or "").strip())
    except ValueError as exc:
        raise ReferenceFileError(f"{path}:{number}: {column} is not YYYY-MM-DD") from exc


def load_aliases(path: Path) -> dict[str, str]:
    """Universe symbol -> NSE ticker, for symbols whose universe name is not the ticker."""
    return {
        row["symbol"].strip().upper(): row["nse_ticker"].strip().upper()
        for _, row in _rows(path, ("symbol", "nse_ticker"))
    }


class Listings(dict[str, dt.date]):
    """Symbol -> first NSE session (what every reader of listing dates looks up), and `ends`:
    symbol -> the last session of a listing that ended. One object, so that every caller that
    passes listing dates along passes the ends with them."""

    def __init__(self, starts: dict[str, dt.date], ends: dict[str, dt.date]) -> None:
        super().__init__(starts)
        self.ends = ends

    def last_session(self, symbol: str) -> dt.date | None:
        return self.ends.get(symbol)


def load_listing_dates(path: Path) -> Listings:
    """listings.csv: `symbol,listed_on,last_session` rows. `listed_on` is the first NSE session
    of a symbol listed after the platform's first year (empty if earlier); `last_session`
    (optional) the last session a listing that ended traded (delisted, merged away, suspended
    without end): coverage expects nothing after it."""
    starts: dict[str, dt.date] = {}
    ends: dict[str, dt.date] = {}
    for number, row in _rows(path, ("symbol", "listed_on"), optional=("last_session",)):
        symbol = (row["symbol"] or "").strip().upper()
        if not symbol:
            raise ReferenceFileError(f"{path}:{number}: symbol is empty")
        if symbol in starts or symbol in ends:
            raise ReferenceFileError(f"{path}:{number}: {symbol} is listed twice")
        if (row["listed_on"] or "").strip():
            starts[symbol] = _date(path, number, row, "listed_on")
        if (row.get("last_session") or "").strip():
            ends[symbol] = _date(path, number, row, "last_session")
        if symbol not in starts and symbol not in ends:
            raise ReferenceFileError(f"{path}:{number}: {symbol} has neither date; give one")
        if symbol in starts and symbol in ends and ends[symbol] < starts[symbol]:
            raise ReferenceFileError(
                f"{path}:{number}: {symbol}'s last_session {ends[symbol]} is before its "
                f"listed_on {starts[symbol]}"
            )
    return Listings(starts, ends)


def load_symbol_changes(path: Path) -> dict[str, str]:
    """symbol_changes.csv: `old_symbol,new_symbol,changed_on,note` rows (NSE's own file of
    symbol changes has these facts) -> {old: newest}, chains followed (A -> B -> C gives A: C
    and B: C). A missing file is no changes; a cycle is refused naming its line."""
    if not path.is_file():
        return {}
    changes: dict[str, tuple[int, str]] = {}
    for number, row in _rows(path, ("old_symbol", "new_symbol", "changed_on", "note")):
        old = (row["old_symbol"] or "").strip().upper()
        new = (row["new_symbol"] or "").strip().upper()
        if not old or not new or old == new:
            raise ReferenceFileError(f"{path}:{number}: needs two different symbols")
        _date(path, number, row, "changed_on")
        if old in changes:
            raise ReferenceFileError(f"{path}:{number}: {old} is renamed twice")
        changes[old] = (number, new)
    newest = {}
    for old, (number, new) in changes.items():
        seen = {old}
        while new in changes:
            if new in seen:
                raise ReferenceFileError(f"{path}:{number}: the renames of {old} go in a circle")
            seen.add(new)
            new = changes[new][1]
        newest[old] = new
    return newest


def load_known_days(path: Path) -> KnownDays:
    """sessions.csv: `date,kind,note,hours` rows, kind `session` (the market traded on a day the
    exchange calendar does not list) or `holiday` (it was closed on a day the calendar lists).

    `hours` (optional, sessions only) are the normal-market segments of a session that does not
    run 09:15-15:30, e.g. `18:15-19:15` or `09:15-10:00 11:30-12:30`: intraday checks expect
    candles there. A session without hours has unknown hours; intraday checks then say so.
    """
    days: dict[str, dict[dt.date, str]] = {"session": {}, "holiday": {}}
    hours: dict[dt.date, tuple[tuple[dt.time, dt.time], ...]] = {}
    for number, row in _rows(path, ("date", "kind", "note"), optional=("hours",)):
        day = _date(path, number, row, "date")
        kind = (row["kind"] or "").strip().lower()
        if kind not in days:
            raise ReferenceFileError(
                f"{path}:{number}: kind must be session or holiday, not {row['kind']!r}"
            )
        if day in days["session"] or day in days["holiday"]:
            raise ReferenceFileError(f"{path}:{number}: {day} is listed twice")
        days[kind][day] = (row["note"] or "").strip() or f"{kind} listed in {path.name}"
        text = (row.get("hours") or "").strip()
        if text:
            if kind != "session":
                raise ReferenceFileError(f"{path}:{number}: only a session row has hours")
            hours[day] = _segments(path, number, text)
    return KnownDays(sessions=days["session"], holidays=days["holiday"], hours=hours)


def _segments(path: Path, number: int, text: str) -> tuple[tuple[dt.time, dt.time], ...]:
    """`HH:MM-HH:MM` segments separated by spaces, in order and not overlapping."""
    segments: list[tuple[dt.time, dt.time]] = []
    for part in text.split():
        try:
            start, end = (dt.time.fromisoformat(t) for t in part.split("-"))
        except ValueError:
            raise ReferenceFileError(
                f"{path}:{number}: hours {part!r} is not HH:MM-HH:MM (IST, normal market)"
            ) from None
        if start >= end or (segments and start < segments[-1][1]):
            raise ReferenceFileError(
                f"{path}:{number}: hours {text!r} must be ordered, non-overlapping HH:MM-HH:MM"
            )
        segments.append((start, end))
    return tuple(segments)


def load_corporate_actions(path: Path) -> pd.DataFrame:
    """corporate_actions.csv: `symbol,ex_date,kind,ratio,note` rows, with each action's price
    factor computed (market.corporate_actions says what a ratio means for each kind)."""
    actions = []
    seen: set[tuple[str, dt.date, str]] = set()
    for number, row in _rows(path, ("symbol", "ex_date", "kind", "ratio", "note")):
        symbol = (row["symbol"] or "").strip().upper()
        if not symbol:
            raise ReferenceFileError(f"{path}:{number}: symbol is empty")
        ex_date = _date(path, number, row, "ex_date")
        kind = (row["kind"] or "").strip().lower()
        ratio = (row["ratio"] or "").strip()
        try:
            factor = price_factor(kind, ratio)
        except ValueError as exc:
            raise ReferenceFileError(f"{path}:{number}: {exc}") from exc
        if (symbol, ex_date, kind) in seen:
            raise ReferenceFileError(f"{path}:{number}: a second {kind} of {symbol} on {ex_date}")
        seen.add((symbol, ex_date, kind))
        note = (row["note"] or "").strip()
        actions.append((symbol, ex_date, kind, ratio, factor, note))
    frame = pd.DataFrame(actions, columns=list(ACTION_COLUMNS))
    frame["ex_date"] = pd.to_datetime(frame["ex_date"])
    frame["factor"] = frame["factor"].astype("float64")
    return frame


def nse_ticker_for(symbol: str, aliases: dict[str, str]) -> str:
    return aliases.get(symbol, symbol)
