"""One run's daily_bars partitions: what the source answered for each.

A run carries up to 100 partitions. Each symbol's years are asked for in one request where the
source can; one partition's error fails that partition alone, so a bad symbol never costs the
other partitions their data. Which answers may then be written is `write_policy.py`'s to say.
"""

from collections.abc import Sequence

import pandas as pd

from sensequant_assets.sources.base import BarSource, FetchResult, SymbolMapping


def stored_mappings(frame: pd.DataFrame) -> dict[str, SymbolMapping]:
    return {
        row.symbol: SymbolMapping(
            row.symbol,
            row.nse_ticker,
            row.isec_code,
            row.isec_token,
            row.company_name,
            row.status,
            row.error,
        )
        for row in frame.itertuples()
    }


def fetch_partitions(
    source: BarSource,
    mappings: dict[str, SymbolMapping],
    keys: Sequence[tuple[str, int]],
    refetch: bool = False,
) -> dict[tuple[str, int], FetchResult | Exception]:
    """Each (symbol, year)'s answer or the error it met, each symbol's years in one request
    where the source can; one partition's error never costs the others theirs. `refetch` asks
    past the source's cache. Nothing is cached until the writer accepts it
    (`BatchOutcome.conclude`)."""
    years_by_symbol: dict[str, list[int]] = {}
    for symbol, year in keys:
        years_by_symbol.setdefault(symbol, []).append(year)
    answers: dict[tuple[str, int], FetchResult | Exception] = {}
    for symbol, years in years_by_symbol.items():
        mapping = mappings.get(symbol)
        if mapping is None or not mapping.resolved:
            answer = unusable_mapping(symbol, mapping)
            answers.update({(symbol, year): answer for year in years})
        else:
            fetched_years = source.fetch_years(
                mapping, years, refetch=refetch, cache_when_accepted=True
            )
            for year, fetched in fetched_years.items():
                answers[symbol, year] = fetched
    return {key: answers[key] for key in keys}


def unusable_mapping(symbol: str, mapping: SymbolMapping | None) -> FetchResult | Exception:
    """What a partition of a symbol without a usable mapping gets: an error while the mapping
    was never materialized, an empty answer noting why once it failed (nothing to fetch)."""
    if mapping is None:
        return LookupError(
            f"symbol_mapping[{symbol}] has not been materialized; materialize it first "
            "(a backfill does this in order)"
        )
    return FetchResult(pd.DataFrame(), {"note": f"unmapped: {mapping.error}"})
