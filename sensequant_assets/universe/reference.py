"""Checked-in reference data: ticker aliases and listing dates.

The universe key, the NSE ticker used for lookup and the ISEC code are three different things
(universe OBEROI is NSE OBEROIRLTY is ISEC OBEREA); aliases map the first to the second.
Listing dates tell coverage where a symbol's history begins (LICI listed 2022-05-17).
"""

import csv
import datetime as dt
from pathlib import Path


class ReferenceFileError(ValueError):
    pass


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        lines = (line for line in handle if not line.lstrip().startswith("#"))
        reader = csv.DictReader(lines)
        if tuple(reader.fieldnames or ()) != columns:
            raise ReferenceFileError(f"{path}: header must be {','.join(columns)}")
        return [(number, row) for number, row in enumerate(reader, start=2)]


def load_aliases(path: Path) -> dict[str, str]:
    """Universe symbol -> NSE ticker, for symbols whose universe name is not the ticker."""
    return {
        row["symbol"].strip().upper(): row["nse_ticker"].strip().upper()
        for _, row in _rows(path, ("symbol", "nse_ticker"))
    }


def load_listing_dates(path: Path) -> dict[str, dt.date]:
    """Symbol -> first NSE session, for symbols listed after the platform's first year."""
    listings: dict[str, dt.date] = {}
    for number, row in _rows(path, ("symbol", "listed_on")):
        try:
            listings[row["symbol"].strip().upper()] = dt.date.fromisoformat(
                row["listed_on"].strip()
            )
        except ValueError as exc:
            raise ReferenceFileError(f"{path}:{number}: listed_on is not YYYY-MM-DD") from exc
    return listings


def nse_ticker_for(symbol: str, aliases: dict[str, str]) -> str:
    return aliases.get(symbol, symbol)
