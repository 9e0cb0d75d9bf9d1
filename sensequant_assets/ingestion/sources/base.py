"""What every bar source provides: a symbol lookup and one symbol-year of daily bars.

Sources never invent data: a lookup that fails says so (status and error), and a fetch that finds
nothing returns an empty frame with a note, never a guess.
"""

from dataclasses import dataclass, field
from typing import Literal, Protocol

import pandas as pd

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


@dataclass
class FetchResult:
    """One symbol-year from a source, with the counters users read in Dagit."""

    bars: pd.DataFrame
    stats: dict[str, float | int | str] = field(default_factory=dict)


class BarSource(Protocol):
    name: str
    """'synthetic', 'csv' or 'breeze': stored with every bar."""

    origin: Literal["synthetic", "market"]
    """Which family of data a warehouse bound to this source holds; the two never mix."""

    def lookup(self, symbol: str, nse_ticker: str) -> SymbolMapping: ...

    def fetch_year(self, mapping: SymbolMapping, year: int) -> FetchResult: ...


class SourceAuthError(RuntimeError):
    """Credentials are missing, wrong or expired: every further call would fail the same way."""
