"""Which of a run's answers may be written: never-shrink, per partition.

An answer that would drop stored session dates (intraday: candle stamps) fails its partition
unless the user allowed it, and that partition keeps its rows; the others are written. Once the
written ones are committed the source keeps them and forgets the refused ones, so a refused
answer never outvotes the warehouse. Daily and intraday batches share this policy; what differs
is what they compare (`Stamps`).
"""

from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import pandas as pd

from sensequant_assets.sources.bars import session_dates
from sensequant_assets.sources.base import FetchResult
from sensequant_assets.warehouse.storage import shrink_problem


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
