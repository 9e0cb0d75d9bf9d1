"""Partition keys, run tags and batch sizes, as plain values (the definitions are in defs/).

A daily_bars key is "SYMBOL|YEAR", an intraday_bars key "YYYY-MM|SYMBOL": Dagster orders a
multi-partition's dimensions by name.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence

from sensequant_assets.universe.constituents import symbol_problem

# Every run pays ~3 s of process start-up and waits its turn for the single-writer `warehouse`
# pool, so backfills put up to 100 partitions in a run: NIFTY 100 x 3 years is 3 bar runs and
# one teacher run, not hundreds (measured in docs/benchmarks.md).
PARTITIONS_PER_RUN = 100

# Run tags: a batch is a constituent list (users filter the UI by it); a range run covers the
# rectangle between two partition keys.
BATCH_TAG = "sensequant/batch"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


PARTITION_TAG = "dagster/partition"


def range_tags(start: str, end: str) -> dict[str, str]:
    """Tags of a run over the partitions from `start` to `end` (a rectangle for symbol|year)."""
    return {RANGE_START: start, RANGE_END: end}


def run_partitions(tags: dict[str, str]) -> str:
    """The partition or partition range a run covered, as its tags say ('' when unpartitioned)."""
    if PARTITION_TAG in tags:
        return tags[PARTITION_TAG]
    if RANGE_START in tags:
        return f"{tags[RANGE_START]}..{tags[RANGE_END]}"
    return ""


YEAR = re.compile(r"[0-9]{4}")
MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


class PartitionKeyError(ValueError):
    """A partition key that names no valid symbol, year or month. Dagster's UI and GraphQL accept
    any string as a dynamic partition key, so a run meets such keys before anything else: it is
    refused before the run reads, writes or deletes anything, since a key becomes folder names,
    warehouse rows and snapshot paths."""


def _refuse(problems: dict[str, str], shape: str) -> None:
    if problems:
        named = "; ".join(f"{key!r}: {problem}" for key, problem in problems.items())
        raise PartitionKeyError(
            f"{len(problems)} partition key(s) refused, each must be {shape}: {named}. Nothing "
            "was read, written or deleted. Symbols enter through constituent lists, which check "
            "them; a key like this was added by hand (the UI's 'Add partition' or GraphQL). "
            "Delete it from the dynamic partitions 'symbols' (GraphQL deleteDynamicPartitions, "
            "or DagsterInstance.delete_dynamic_partition('symbols', key)), put the symbol as "
            "NSE spells it in a constituent list, and launch the run again."
        )


def _symbol_problem(symbol: str) -> str | None:
    """Why `symbol`, exactly as given, is no symbol partition key (lists upper-case theirs)."""
    if symbol != symbol.strip().upper():
        return "not an NSE symbol as lists spell it (upper case, no spaces)"
    return symbol_problem(symbol)


def checked_symbols(keys: Iterable[str]) -> list[str]:
    """The symbols partition keys of a run, each proven an NSE symbol (letters, digits, `&`,
    `-`), or PartitionKeyError naming every key that is not."""
    symbols = [str(key) for key in keys]
    _refuse({key: problem for key in symbols if (problem := _symbol_problem(key))}, "an NSE symbol")
    return symbols


def checked_symbol_years(keys: Iterable[str]) -> list[tuple[str, int]]:
    """'RELIANCE|2024' -> ('RELIANCE', 2024) for each daily_bars key (dimensions are ordered by
    name, symbol first), or PartitionKeyError naming every key that is not SYMBOL|YEAR."""
    parsed, problems = [], {}
    for key in map(str, keys):
        symbol, _, year = key.partition("|")
        problem = _symbol_problem(symbol) or (
            None if YEAR.fullmatch(year) else f"year {year!r} is not four digits"
        )
        if problem:
            problems[key] = problem
        else:
            parsed.append((symbol, int(year)))
    _refuse(problems, "SYMBOL|YEAR")
    return parsed


def checked_month_symbols(keys: Iterable[str]) -> list[tuple[str, dt.date]]:
    """'2024-03|RELIANCE' -> ('RELIANCE', 2024-03-01) for each intraday_bars key (month first:
    its dimensions, too, are ordered by name), or PartitionKeyError naming every key that is
    not YYYY-MM|SYMBOL."""
    parsed, problems = [], {}
    for key in map(str, keys):
        month, _, symbol = key.partition("|")
        problem = (
            None if MONTH.fullmatch(month) else f"month {month!r} is not YYYY-MM"
        ) or _symbol_problem(symbol)
        if problem:
            problems[key] = problem
        else:
            parsed.append((symbol, dt.date(int(month[:4]), int(month[5:]), 1)))
    _refuse(problems, "YYYY-MM|SYMBOL")
    return parsed


def split_symbol_year(key: str) -> tuple[str, int]:
    """'RELIANCE|2024' -> ('RELIANCE', 2024): one key through `checked_symbol_years`."""
    return checked_symbol_years([key])[0]


def valid_keys(
    keys: Iterable[str], check: Callable[[Iterable[str]], object]
) -> tuple[list[str], str | None]:
    """The keys that `check` (one of the `checked_*` above) accepts, in order, and its refusal of
    the others as one message naming each (None when it accepts all). Sensors read keys from
    the instance (observations, failure metadata), where Dagster stores any string: they act
    on the valid keys and name the rest in the tick, since raising would fail the tick and
    hold back every valid key with the bad one."""
    given = [str(key) for key in keys]
    bad = []
    for key in given:
        try:
            check([key])
        except PartitionKeyError:
            bad.append(key)
    try:
        check(bad)
    except PartitionKeyError as refusal:
        return [key for key in given if key not in set(bad)], str(refusal)
    return given, None


def symbol_year_key(symbol: str, year: int) -> str:
    return f"{symbol}|{year}"


def split_month_symbol(key: str) -> tuple[str, dt.date]:
    """'2024-03|RELIANCE' -> ('RELIANCE', 2024-03-01): one key through `checked_month_symbols`."""
    return checked_month_symbols([key])[0]


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
