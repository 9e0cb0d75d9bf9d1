"""One run's daily_bars partitions: what each source answered, and which may be written.

A run carries up to 100 partitions. Each symbol's years are asked for in one request where the
source can; one partition's error, or an answer that would drop stored sessions, fails that
partition alone, so a bad symbol never costs the other partitions their data.
"""

from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import pandas as pd

from sensequant_assets.sources.bars import session_dates
from sensequant_assets.sources.base import BarSource, FetchResult, SymbolMapping
from sensequant_assets.warehouse.storage import shrink_problem


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


@dataclass(frozen=True)
class Stamps:
    """What never-shrink compares for one table: each answer's stamps, and their names."""

    of: Callable[[pd.DataFrame], Collection] = session_dates
    unit: str = "session"
    item: str = "date"


SESSION_DATES = Stamps()

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class BatchOutcome(Generic[K]):
    """Which partitions of a run may be written, and why each of the others may not."""

    written: dict[K, FetchResult]
    failed: dict[K, str]
    removed: dict[K, list] = field(default_factory=dict)
    refused: dict[K, FetchResult] = field(default_factory=dict)
    """The answers refused because they would shrink their partition (also in `failed`)."""

    def conclude(self) -> None:
        """Once the written answers are committed: the source keeps them (Breeze caches a closed
        year as final) and forgets the refused ones, so a refused answer is never reused and
        the warehouse's rows are never outvoted by a cache."""
        for answer in self.written.values():
            answer.accept()
        for answer in self.refused.values():
            answer.reject()


def settle_partitions(
    answers: dict[K, FetchResult | Exception],
    stored: dict[K, set],
    allow_shrink: bool = False,
    stamps: Stamps = SESSION_DATES,
) -> BatchOutcome[K]:
    """Sort a run's answers into those to write and those that fail their partition.

    A partition fails on a source error, or when its answer would drop stored session dates
    (intraday: candle stamps) (`shrink_problem`) and the user did not allow it; a failed
    partition keeps its rows.
    """
    written: dict[K, FetchResult] = {}
    failed: dict[K, str] = {}
    removed: dict[K, list] = {}
    refused: dict[K, FetchResult] = {}
    for partition, answer in answers.items():
        if isinstance(answer, Exception):
            failed[partition] = f"{type(answer).__name__}: {answer}"
            continue
        before = stored.get(partition, set())
        after = set(stamps.of(answer.bars)) if not answer.bars.empty else set()
        problem = shrink_problem(before, after, unit=stamps.unit, item=stamps.item)
        if problem and not allow_shrink:
            failed[partition] = (
                f"refused to shrink: {problem}. Kept the stored rows, and the answer was not "
                "cached: re-run this partition later to ask the source again. Only once you have "
                f"checked at the source that those {stamps.item}s are really gone, re-run it with "
                "run config allow_shrink: true, which deletes them"
            )
            refused[partition] = answer
            continue
        written[partition] = answer
        if problem:
            removed[partition] = sorted(before - after)
    return BatchOutcome(written=written, failed=failed, removed=removed, refused=refused)


def partial_batch_message(errors: dict[str, str], total: int, asset: str = "daily_bars") -> str:
    """What the step failure says: each failed partition and why, and how to re-run them."""
    written = (
        f"the other {total - len(errors)} were written and are materialized"
        if total > len(errors)
        else "none was written"
    )
    return (
        f"{len(errors)} of {total} {asset} partitions failed and kept their stored rows; "
        f"{written}.\n  "
        + "\n  ".join(f"{key}: {error}" for key, error in sorted(errors.items()))
        + "\nRe-run exactly the failed ones: on the backfill's page, Re-execute > From failure "
        "(or `sensequant retry <backfill id>`); outside a backfill, materialize those partitions."
    )
