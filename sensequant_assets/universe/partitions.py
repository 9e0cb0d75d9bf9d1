"""Partition keys, run tags and batch sizes, as plain values (the definitions are in defs/).

A daily_bars key is "SYMBOL|YEAR", an intraday_bars key "YYYY-MM|SYMBOL": Dagster orders a
multi-partition's dimensions by name.
"""

import datetime as dt
from collections.abc import Iterable, Sequence

# Every run pays ~3 s of process start-up and waits its turn for the single-writer `warehouse`
# pool, so backfills put up to 100 partitions in a run: NIFTY 100 x 3 years is 3 bar runs and
# one teacher run, not hundreds (measured in docs/benchmarks.md).
PARTITIONS_PER_RUN = 100

# Run tags: a batch is a constituent list (users filter the UI by it); a range run covers the
# rectangle between two partition keys.
BATCH_TAG = "sensequant/batch"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def range_tags(start: str, end: str) -> dict[str, str]:
    """Tags of a run over the partitions from `start` to `end` (a rectangle for symbol|year)."""
    return {RANGE_START: start, RANGE_END: end}


def split_symbol_year(key: str) -> tuple[str, int]:
    """'RELIANCE|2024' -> ('RELIANCE', 2024); dimensions are ordered by name, symbol first."""
    symbol, year = str(key).split("|")
    return symbol, int(year)


def symbol_year_key(symbol: str, year: int) -> str:
    return f"{symbol}|{year}"


def split_month_symbol(key: str) -> tuple[str, dt.date]:
    """'2024-03|RELIANCE' -> ('RELIANCE', 2024-03-01): an intraday_bars key, month first (its
    dimensions, too, are ordered by name)."""
    month, symbol = str(key).split("|")
    return symbol, dt.datetime.strptime(month, "%Y-%m").date()


def month_symbol_key(symbol: str, month: dt.date) -> str:
    return f"{month:%Y-%m}|{symbol}"


def contiguous_ranges(ordered: Sequence[str], wanted: Iterable[str]) -> list[tuple[str, str]]:
    """Split `wanted` keys into (first, last) ranges that are contiguous in `ordered`.

    Dynamic partitions keep insertion order, so a batch's symbols are usually one range; a batch
    that shares symbols with an earlier list may need a few.
    """
    wanted_set = set(wanted)
    ranges: list[tuple[str, str]] = []
    start: str | None = None
    previous: str | None = None
    for key in ordered:
        if key in wanted_set:
            start = start or key
            previous = key
        elif start is not None and previous is not None:
            ranges.append((start, previous))
            start = None
    if start is not None and previous is not None:
        ranges.append((start, previous))
    return ranges


def covering_ranges(
    keys: Iterable[str], symbols: Sequence[str], years: Sequence[str]
) -> list[tuple[str, str]]:
    """Ranges (first, last) of symbol|year keys that together hold exactly `keys`.

    A run over a range of the symbol x year partitions covers a rectangle: every symbol between
    its two keys, in `symbols`' order (the dynamic partitions' insertion order), times every
    year between them. Each symbol's years split into contiguous runs, and neighbouring symbols
    with the same run share one rectangle, so a batch less a few failed partitions takes a few
    ranges, never one per partition.
    """
    wanted = {split_symbol_year(key) for key in keys}
    unknown = {symbol for symbol, _ in wanted} - set(symbols)
    if unknown:
        raise ValueError(f"symbols {sorted(unknown)} are not partitions")
    ranges: list[tuple[str, str]] = []
    opened: dict[tuple[str, str], str] = {}  # a run of years -> the first symbol holding it
    previous = ""
    for symbol in [*symbols, ""]:  # the empty sentinel closes every open rectangle
        held = [year for year in years if (symbol, int(year)) in wanted]
        runs = {run: opened.get(run, symbol) for run in contiguous_ranges(years, held)}
        ranges += [
            (f"{first}|{start}", f"{previous}|{end}")
            for (start, end), first in opened.items()
            if (start, end) not in runs
        ]
        opened, previous = runs, symbol
    return ranges


def month_ranges(keys: Iterable[str], symbols: Sequence[str]) -> list[tuple[str, str]]:
    """Ranges (first, last) of "YYYY-MM|SYMBOL" keys that together hold exactly `keys`: per
    month, the runs of symbols contiguous in `symbols`' order (the partitions' insertion order),
    so a run over each range covers nothing else."""
    by_month: dict[str, list[str]] = {}
    for key in keys:
        month, symbol = str(key).split("|")
        by_month.setdefault(month, []).append(symbol)
    return [
        (f"{month}|{first}", f"{month}|{last}")
        for month in sorted(by_month)
        for first, last in contiguous_ranges(symbols, by_month[month])
    ]
