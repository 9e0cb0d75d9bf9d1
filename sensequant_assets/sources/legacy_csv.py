"""Import from the original system's on-disk cache, for users migrating from it.

Layout: `{root}/{SYMBOL}/1day/*.csv`, one file per day (`2024-01-02.csv`) or per range
(`2024-01-01_to_2024-01-31.csv`), header `timestamp,open,high,low,close,volume`, IST-aware
timestamps. Mappings come from the original `{root}/metadata/symbol_mappings*.json`. Every problem
names the file (and line where there is one) so a user can fix it and re-run; nothing is skipped.
"""

import datetime as dt
import json
import re
import sys
from functools import cache, cached_property
from pathlib import Path
from typing import ClassVar

import pandas as pd
from dagster_pandas import PandasColumn
from dagster_pandas.constraints import (
    InRangeColumnConstraint,
    NonNullableColumnConstraint,
    UniqueColumnConstraint,
)
from pydantic import Field

from sensequant_assets.market.calendar import IST
from sensequant_assets.paths import DATA_DIR
from sensequant_assets.sources.bars import conform_bars, empty_bars
from sensequant_assets.sources.base import BarSource, FetchResult, SymbolMapping
from sensequant_assets.warehouse.storage import Origin
from sensequant_assets.warehouse.tables import column_violations, frame_column

HEADER = ["timestamp", "open", "high", "low", "close", "volume"]
FINITE = sys.float_info.max
FILE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:_to_(\d{4}-\d{2}-\d{2}))?\.csv$")


class LegacyFileError(ValueError):
    """A legacy cache file that cannot be imported as it is."""


def file_date_range(path: Path) -> tuple[dt.date, dt.date]:
    match = FILE_NAME.match(path.name)
    if not match:
        raise LegacyFileError(
            f"{path}: unexpected file name; expected YYYY-MM-DD.csv or YYYY-MM-DD_to_YYYY-MM-DD.csv"
        )
    first = dt.date.fromisoformat(match.group(1))
    return first, dt.date.fromisoformat(match.group(2) or match.group(1))


def read_legacy_file(path: Path) -> pd.DataFrame:
    """One legacy CSV as (date, open, high, low, close, volume, file), IST session dates."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise LegacyFileError(f"{path}: empty file (no header, no rows)") from exc
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise LegacyFileError(f"{path}: cannot be parsed as CSV ({exc})") from exc
    if list(frame.columns) != HEADER:
        missing = [c for c in HEADER if c not in frame.columns]
        raise LegacyFileError(
            f"{path}: header must be {','.join(HEADER)}"
            + (f"; missing {missing}" if missing else f"; found {','.join(frame.columns)}")
        )
    frame["date"] = [
        _session_date(value, path, line) for line, value in enumerate(frame["timestamp"], start=2)
    ]
    text = frame.copy()
    for column in HEADER[1:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    for (column, _), rows in column_violations(frame, file_columns()).items():
        line = int(rows.to_numpy().nonzero()[0][0]) + 2
        if column == "date":
            raise LegacyFileError(f"{path}:{line}: second bar for {frame['date'].iloc[line - 2]}")
        raise LegacyFileError(
            f"{path}:{line}: {column} is not a number ({text[column].iloc[line - 2]!r})"
        )
    frame["file"] = str(path)
    return frame.drop(columns=["timestamp"])


@cache
def file_columns() -> list[PandasColumn]:
    """A parsed legacy file as dagster-pandas checks it, in the order its errors are reported:
    every price and the volume a finite number (an empty, 'nan' or 'inf' cell parses to NaN or an
    infinity, which no bar can hold), then one bar per session date."""
    finite = [
        frame_column(
            column,
            [
                NonNullableColumnConstraint(),
                InRangeColumnConstraint(-FINITE, FINITE, ignore_missing_vals=False),
            ],
        )
        for column in HEADER[1:]
    ]
    return [*finite, frame_column("date", [UniqueColumnConstraint(ignore_missing_vals=False)])]


def _session_date(value: str, path: Path, line: int) -> dt.date:
    """The IST session date of a timestamp; naive values are IST wall-clock, as Breeze writes."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise LegacyFileError(f"{path}:{line}: unparseable timestamp {value!r}") from exc
    if stamp is pd.NaT:
        raise LegacyFileError(f"{path}:{line}: empty timestamp")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(IST)
    return stamp.date()


def combine_files(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Merge per-day and range files; identical overlaps are fine, conflicting ones are errors."""
    combined = pd.concat(frames, ignore_index=True)
    values = ["open", "high", "low", "close", "volume"]
    distinct = combined.drop_duplicates(subset=["date", *values])
    conflicts = distinct[distinct["date"].duplicated(keep=False)]
    if not conflicts.empty:
        day = conflicts["date"].iloc[0]
        files = sorted(set(conflicts.loc[conflicts["date"] == day, "file"]))
        raise LegacyFileError(f"conflicting bars for {day} in {' and '.join(files)}")
    return distinct.drop_duplicates(subset=["date"]).sort_values("date", ignore_index=True)


class LegacyCsvSource(BarSource):
    """The original system's on-disk cache (source "csv", market data), for migrating from it."""

    name: ClassVar[str] = "csv"
    origin: ClassVar[Origin] = "market"

    root_dir: str = Field(
        default=str(DATA_DIR / "historical"),
        description="The original cache: {SYMBOL}/1day/*.csv and metadata/symbol_mappings*.json.",
    )

    @property
    def root(self) -> Path:
        return Path(self.root_dir)

    @cached_property
    def _mappings(self) -> dict[str, dict[str, str | None]]:
        details: dict[str, dict[str, str | None]] = {}
        for path in sorted((self.root / "metadata").glob("symbol_mappings*.json")):
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise LegacyFileError(f"{path}: not readable JSON ({exc})") from exc
            for record in document.get("symbol_details", []):
                if record.get("status") == "success" and record.get("isec_code"):
                    details[str(record["nse_symbol"]).upper()] = record
            for nse, code in document.get("mappings", {}).items():
                details.setdefault(nse.upper(), {"isec_code": code})
        return details

    def lookup(self, symbol: str, nse_ticker: str) -> SymbolMapping:
        record = self._mappings.get(symbol) or self._mappings.get(nse_ticker)
        if record is None:
            return SymbolMapping.failed(
                symbol,
                nse_ticker,
                f"{symbol} has no successful entry in {self.root / 'metadata'}/"
                "symbol_mappings*.json; add it there or use the breeze source",
            )
        return SymbolMapping(
            symbol,
            nse_ticker,
            record.get("isec_code"),
            record.get("isec_token"),
            record.get("company_name"),
            "success",
        )

    def fetch_year(self, mapping: SymbolMapping, year: int) -> FetchResult:
        folder = self.root / mapping.symbol / "1day"
        files = [
            path for path in sorted(folder.glob("*.csv")) if _overlaps(file_date_range(path), year)
        ]
        if not files:
            return FetchResult(
                empty_bars(), {"files": 0, "note": f"no files for {year} in {folder}"}
            )
        combined = combine_files([read_legacy_file(path) for path in files])
        combined = combined[[d.year == year for d in combined["date"]]]
        combined = combined.assign(symbol=mapping.symbol, source=self.name)
        bars = conform_bars(combined, mapping.symbol, year, where=str(folder))
        return FetchResult(bars, {"files": len(files)})

    def fetch_intraday(self, mapping: SymbolMapping, month: dt.date, interval: str) -> pd.DataFrame:
        raise NotImplementedError(
            f"{mapping.symbol}|{month:%Y-%m} {interval}: the original system's cache holds "
            f"daily bars only ({self.root}/{{SYMBOL}}/1day/); intraday bars need "
            "SENSEQUANT_SOURCE=breeze (or synthetic for a demo)."
        )


def _overlaps(span: tuple[dt.date, dt.date], year: int) -> bool:
    return span[0].year <= year <= span[1].year
