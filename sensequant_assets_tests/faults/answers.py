"""A bar source that answers chosen partitions wrongly, the way live sources do.

It is the synthetic source with a list of faults by partition: an empty answer (a `Success`
with no candles), a short one (the latest sessions missing), a shifted one (as many sessions,
one on another date), candles with a duplicated date, a connection error, or a revised one (the
same sessions, one close corrected, as a source republishes a bar). Tests and the
end-to-end code location use it instead of mocking anything inside the platform.
"""

import datetime as dt

import pandas as pd
from pydantic import Field

from sensequant_assets.sources.bars import conform_bars, empty_bars
from sensequant_assets.sources.base import FetchResult, SymbolMapping
from sensequant_assets.sources.synthetic import SyntheticSource

FAULTS = ("empty", "short", "shifted", "duplicated", "error", "revised")
REVISED_ROW = 10  # the session whose close a revised answer corrects
SHORT_BY = 20  # sessions a short answer lacks, from the end of the year


class FaultyAnswers(SyntheticSource):
    """The synthetic source, answering the partitions named in `faults` wrongly."""

    faults: dict[str, str] = Field(
        default_factory=dict,
        description=f"SYMBOL|YEAR -> how that partition is answered: one of {', '.join(FAULTS)}",
    )

    def fetch_year(self, mapping: SymbolMapping, year: int) -> FetchResult:
        fault = self.faults.get(f"{mapping.symbol}|{year}")
        if fault == "error":
            raise ConnectionError(f"stand-in: connection reset while fetching {mapping.symbol}")
        result = super().fetch_year(mapping, year)
        bars = result.bars
        if fault == "empty":
            return FetchResult(empty_bars(), {"note": "the source returned no rows"})
        if fault == "short":
            return FetchResult(bars.iloc[:-SHORT_BY].reset_index(drop=True), result.stats)
        if fault == "shifted":
            return FetchResult(shift_one_session(bars), result.stats)
        if fault == "revised":
            revised = bars.copy()
            row = revised.index[REVISED_ROW]
            revised.loc[row, "close"] = (revised.loc[row, "low"] + revised.loc[row, "high"]) / 2
            return FetchResult(revised, result.stats)
        if fault == "duplicated":
            answer = pd.concat([bars, bars.iloc[[10]]], ignore_index=True)
            return FetchResult(conform_bars(answer, mapping.symbol, year, where="stand-in"))
        if fault is not None:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        return result


def shift_one_session(bars: pd.DataFrame) -> pd.DataFrame:
    """The same number of bars, the first Friday's dated on the Saturday after it instead."""
    shifted = bars.copy()
    friday = shifted.index[shifted["date"].dt.weekday == 4][0]
    shifted.loc[friday, "date"] += dt.timedelta(days=1)
    return shifted
