"""Hand-built bars for the quality tests: real calendar dates, prices that pass every rule."""

import datetime as dt
from collections.abc import Iterable

import duckdb
import pandas as pd

from sensequant_assets.market.calendar import sessions_in_year
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days
from sensequant_assets.warehouse.storage import replace_bars, replace_rows

# After the close of 2024-12-31 in Mumbai: 2022-2024 are complete years, 2025 has no session yet.
AFTER_2024 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

# The checked-in calendar corrections: the special sessions real data holds.
REFERENCE = load_known_days(REFERENCE_DIR / SESSIONS_FILE)


def bars_for(symbol: str, days: Iterable[dt.date], close: float = 100.0) -> pd.DataFrame:
    dates = sorted(days)
    return pd.DataFrame(
        {
            "symbol": symbol,
            "date": pd.to_datetime(dates),
            "open": close,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": pd.Series([1_000] * len(dates), dtype="int64"),
            "source": "synthetic",
        }
    )


def year_days(year: int, specials: bool = True) -> list[dt.date]:
    """Every regular session of `year`, plus its special sessions (as real data holds them)."""
    extra = [d for d in REFERENCE.sessions if d.year == year] if specials else []
    return [*sessions_in_year(year), *extra]


def write_listings(directory: str, rows: dict[str, str]) -> None:
    lines = ["symbol,listed_on", *(f"{symbol},{day}" for symbol, day in rows.items())]
    with open(f"{directory}/listings.csv", "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def mapping_rows(*symbols: str, failed: Iterable[str] = ()) -> pd.DataFrame:
    """symbol_mapping rows: each symbol resolves to an ISEC code of its own unless `failed`."""
    failed = set(failed)
    return pd.DataFrame(
        [
            {
                "symbol": s,
                "nse_ticker": s,
                "isec_code": None if s in failed else f"{s[:5]}X",
                "isec_token": None,
                "company_name": None,
                "status": "failed" if s in failed else "success",
                "error": f"no instrument named {s}" if s in failed else None,
                "source": "synthetic",
                "updated_at": dt.datetime(2025, 1, 1),
            }
            for s in symbols
        ]
    )


def store(
    conn: duckdb.DuckDBPyConnection,
    bars: dict[tuple[str, int], pd.DataFrame],
    mappings: pd.DataFrame,
) -> None:
    for (symbol, year), frame in bars.items():
        replace_bars(conn, symbol, year, frame)
    replace_rows(conn, "symbol_mapping", "TRUE", [], mappings)
