"""What every bar source provides: a symbol lookup, one symbol-year of daily bars, and one
symbol-month of intraday bars.

The three sources (synthetic, the original system's CSV cache, live Breeze) are subclasses of one
`BarSource` resource, so a deployment picks its source by configuration and the assets never know
which one they hold. Sources never invent data: a lookup that fails says so (status and error),
and a fetch that finds nothing returns an empty frame with a note, never a guess.
"""

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import dagster as dg
import pandas as pd

from sensequant_assets.sources.budget import BudgetState
from sensequant_assets.warehouse.storage import Origin

MappingStatus = Literal["success", "failed"]


@dataclass(frozen=True)
class SymbolMapping:
    """Universe symbol -> NSE ticker -> ISEC stock code, as one source resolved it."""

    symbol: str
    nse_ticker: str
    isec_code: str | None
    isec_token: str | None
    company_name: str | None
    status: MappingStatus
    error: str | None = None

    @property
    def resolved(self) -> bool:
        return self.status == "success" and self.isec_code is not None

    @classmethod
    def failed(cls, symbol: str, nse_ticker: str, error: str) -> "SymbolMapping":
        """A lookup that found no single ISEC code: recorded as such, never guessed."""
        return cls(symbol, nse_ticker, None, None, None, "failed", error)


def _nothing() -> None:
    """A source without a cache keeps and forgets nothing."""


@dataclass
class FetchResult:
    """One symbol-year from a source, with the counters users read in the UI."""

    bars: pd.DataFrame
    stats: dict[str, float | int | str] = field(default_factory=dict)
    accept: Callable[[], object] = field(default=_nothing, repr=False, compare=False)
    """Called by the writer once this answer is committed: Breeze then caches a closed year as
    final. An answer the writer refuses (a shrink) is never cached, so it cannot outvote the
    warehouse on the next run."""
    reject: Callable[[], object] = field(default=_nothing, repr=False, compare=False)
    """Called by the writer when it refuses this answer: Breeze forgets the cached entry it came
    from, so the next run asks the source again."""


class BarSource(dg.ConfigurableResource, ABC):
    """A source of daily bars, chosen per deployment (`SENSEQUANT_SOURCE`)."""

    name: ClassVar[str]
    """'synthetic', 'csv' or 'breeze': stored with every bar."""

    origin: ClassVar[Origin]
    """Which family of data a warehouse bound to this source holds; the two never mix."""

    @abstractmethod
    def lookup(self, symbol: str, nse_ticker: str) -> SymbolMapping:
        """The ISEC instrument of `nse_ticker`, or a failed mapping that says why."""

    @abstractmethod
    def fetch_year(self, mapping: SymbolMapping, year: int) -> FetchResult:
        """One symbol-year of daily bars, conformed to the daily_bars frame."""

    @abstractmethod
    def fetch_intraday(self, mapping: SymbolMapping, month: dt.date, interval: str) -> pd.DataFrame:
        """One symbol-month of `interval` candles (`month` is the month's first day), in the frame
        of `sources.intraday_bars`: symbol, ts (candle start, IST), open, high, low, close, volume;
        sorted by ts, each ts once, only that month."""

    def fetch_years(
        self,
        mapping: SymbolMapping,
        years: Sequence[int],
        *,
        refetch: bool = False,
        cache_when_accepted: bool = False,
    ) -> dict[int, FetchResult | Exception]:
        """Several years of one symbol, each year's answer or the error that year met.

        A source that can serve several years in one request (Breeze: up to 1000 candles a
        call) overrides this; errors stay per year so one bad year never costs the others.
        A source with an answer cache asks past it with `refetch`, and with
        `cache_when_accepted` caches an answer only when the writer calls its `accept()`;
        sources without one (synthetic, csv) ignore both.
        """
        results: dict[int, FetchResult | Exception] = {}
        for year in years:
            try:
                results[year] = self.fetch_year(mapping, year)
            except SourceAuthError:
                raise
            except Exception as exc:
                results[year] = exc
        return results

    def forget_intraday(self, mapping: SymbolMapping, month: dt.date, interval: str) -> None:
        """Forget what is cached of a symbol-month the warehouse refused (a shrink), so the next
        run asks the source again; nothing to forget for a source without a cache."""

    def budget_state(self) -> BudgetState | None:
        """Where the source's daily call budget stands, for the UI and intraday resumption;
        None for a source that spends no calls (synthetic, csv)."""
        return None


class SourceAuthError(RuntimeError):
    """Credentials are missing, wrong or expired: every further call would fail the same way."""


class AlreadyReportedAuthError(SourceAuthError):
    """Credentials an earlier run already found refused and alerted about: this run fails
    without asking the source again, and the alerts sensor raises no second alert for it."""


def already_reported(error: Any) -> bool:
    """Whether a step's error (Dagster's serialized error info), or one it was raised from, is an
    `AlreadyReportedAuthError`: the class name is what survives serialization."""
    seen = 0
    while error is not None and seen < 20:
        if error.cls_name == AlreadyReportedAuthError.__name__:
            return True
        error, seen = error.cause or error.context, seen + 1
    return False
