"""One run's intraday_bars partitions: fetched one symbol-month at a time, until the budget ends.

A run carries up to 100 symbol-months. Each is fetched on its own (the source pages it), so one
partition's error fails it alone. When the source reports the day's call budget spent
(`BudgetExhaustedError`), nothing more is asked: every partition not yet fetched is paused
until the time the error names, and the pages fetched so far stay in the source's cache, so the
resumed fetch asks only for what is missing.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated

import dagster as dg
from pydantic import AfterValidator, Field

from sensequant_assets.market.intraday import INTERVALS
from sensequant_assets.settings import WHEN_RESOLVED
from sensequant_assets.sources.base import BarSource, FetchResult, SourceAuthError, SymbolMapping
from sensequant_assets.sources.budget import BudgetExhaustedError, BudgetState
from sensequant_assets.sources.daily_batch import unusable_mapping
from sensequant_assets.sources.write_policy import Stamps

IntradayKey = tuple[str, dt.date]
"""(symbol, first day of the month)."""

# Never-shrink compares candle stamps: a refresh may add candles, never lose one silently.
CANDLE_STAMPS = Stamps(of=lambda bars: set(bars["ts"]), unit="candle", item="candle")


def known_interval(value: str) -> str:
    if value not in INTERVALS:
        raise ValueError(
            f"SENSEQUANT_INTRADAY_INTERVAL={value!r} is not one of {', '.join(INTERVALS)}"
        )
    return value


class IntradaySettings(dg.ConfigurableResource):
    """How intraday_bars is fetched in this deployment."""

    interval: Annotated[str, AfterValidator(known_interval), WHEN_RESOLVED] = Field(
        default="1minute",
        description=(
            "Candle length stored in intraday_bars: 1minute, 5minute or 30minute "
            "(env SENSEQUANT_INTRADAY_INTERVAL). Each interval's rows are kept apart."
        ),
    )


@dataclass(frozen=True)
class IntradayFetch:
    """What a run fetched, and what it left for when the budget allows."""

    answers: dict[IntradayKey, FetchResult | Exception]
    paused: list[IntradayKey] = field(default_factory=list)
    resume_at: dt.datetime | None = None
    budget_message: str = ""


def fetch_intraday_partitions(
    source: BarSource,
    mappings: dict[str, SymbolMapping],
    keys: Sequence[IntradayKey],
    interval: str,
) -> IntradayFetch:
    """Each symbol-month's candles or the error it met, in order, until the daily budget ends;
    the partitions after that are paused (not failed, not fetched)."""
    answers: dict[IntradayKey, FetchResult | Exception] = {}
    paused: list[IntradayKey] = []
    spent: BudgetExhaustedError | None = None
    for symbol, month in keys:
        mapping = mappings.get(symbol)
        if spent is not None:
            paused.append((symbol, month))
        elif mapping is None or not mapping.resolved:
            answers[symbol, month] = unusable_mapping(symbol, mapping)
        else:
            try:
                bars = source.fetch_intraday(mapping, month, interval)
            except BudgetExhaustedError as exc:
                spent = exc
                paused.append((symbol, month))
            except SourceAuthError:
                raise
            except Exception as exc:
                answers[symbol, month] = exc
            else:
                forget = partial(source.forget_intraday, mapping, month, interval)
                answers[symbol, month] = FetchResult(bars, {"candles": len(bars)}, reject=forget)
    return IntradayFetch(
        answers=answers,
        paused=paused,
        resume_at=spent.resume_at if spent else None,
        budget_message=str(spent) if spent else "",
    )


def due_to_resume(
    paused: Mapping[str, dt.datetime | None],
    budget: BudgetState | None,
    now: dt.datetime,
) -> list[str]:
    """The paused partitions to fetch again now.

    With a call budget, all of them once a tenth of the day's intraday share is free again (the
    budget knows better than a time recorded when they paused: a reserve lowered, a day that
    rolled on). Not at the first free call: the rolling day frees calls one by one, and a run
    launched for each would fetch a page and pause again. Once running, a resumed run keeps
    pace with the calls the rolling day frees (the limiter waits up to 10 minutes for one).
    Without a budget, those whose recorded resume time has passed.
    """
    if budget is not None:
        enough = max(1, (budget.cap - budget.reserved) // 10)
        return sorted(paused) if budget.left_for_intraday >= enough else []
    return sorted(key for key, at in paused.items() if at is None or at <= now)
