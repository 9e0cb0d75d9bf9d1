"""The live ICICI Breeze bar source, through the real breeze_connect client: a thin composition.

The resource holds the deployment's settings (each bound to its environment variable in
defs/resources.py) and composes the parts that do the work, each in its own module:
- the session: the credentials, the day's token (`session.py`'s token file, else the variable),
  the client logged in with it, and every message scrubbed of them (`connection.py`);
- the budget: every call through the installation-wide rate limiter and daily cap
  (`limiter.py`), under a timeout, classified, retried with bounded back-off (`calls.py`);
- the paging: a symbol's years in as few daily calls as the candle cap allows (`daily.py`), a
  symbol-month in intraday pages (`intraday.py`, `pages.py`), the mapping lookup (`mapping.py`);
- the cache: raw answers on disk, per server, so a closed year or page is paid for once
  (`cache.py`).
"""

import datetime as dt
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, ClassVar

import pandas as pd
from pydantic import Field, PrivateAttr

from sensequant_assets.paths import DATA_DIR, REFERENCE_DIR
from sensequant_assets.settings import WHEN_RESOLVED
from sensequant_assets.sources.base import BarSource, FetchResult, SymbolMapping
from sensequant_assets.sources.breeze import daily, intraday
from sensequant_assets.sources.breeze.cache import AnswerCache
from sensequant_assets.sources.breeze.calls import CallPolicy
from sensequant_assets.sources.breeze.connection import BreezeConnection
from sensequant_assets.sources.breeze.limiter import BreezeBudget, RateLimiter
from sensequant_assets.sources.breeze.mapping import isec_mapping
from sensequant_assets.warehouse.storage import Origin

# breeze_connect 1.0.69's own defaults (its config module), kept here so that reading them
# does not import the package (which downloads a file at import).
DEFAULT_API_URL = "https://api.icicidirect.com/breezeapi/api/v1/"
DEFAULT_HISTORICAL_URL = "https://breezeapi.icicidirect.com/api/v2/"
DEFAULT_SECURITY_MASTER_URL = (
    "https://directlink.icicidirect.com/MotherAppMaster/SecurityMaster.zip"
)


class BreezeSource(BarSource):
    """ICICI Direct Breeze daily bars (source "breeze", market data)."""

    name: ClassVar[str] = "breeze"
    origin: ClassVar[Origin] = "market"

    api_key: str = Field(repr=False, description="Breeze app key (env BREEZE_API_KEY).")
    api_secret: str = Field(repr=False, description="Breeze secret key (env BREEZE_API_SECRET).")
    session_token: str = Field(
        "",
        repr=False,
        description="Today's session token where no token file was written "
        "(env BREEZE_SESSION_TOKEN).",
    )
    secrets_dir: str = Field(
        "",
        description="Folder of the session token file `sensequant breeze-session` writes (0600), "
        "read by every run when it logs in, before BREEZE_SESSION_TOKEN; empty: the variable "
        "only (env SENSEQUANT_CREDENTIALS_DIR, default .secrets/<profile>).",
    )
    # Deployment settings, each bound to the environment variable its description names by
    # defs/resources.py. Numbers are ints: Dagster binds environment variables to ints (and
    # bools), never to floats.
    api_url: str = Field(
        DEFAULT_API_URL, description="Base URL of the v1 API, customerdetails (env BREEZE_API_URL)."
    )
    historical_url: str = Field(
        DEFAULT_HISTORICAL_URL,
        description="Base URL of the v2 API, historicalcharts (env BREEZE_HISTORICAL_URL).",
    )
    security_master_url: str = Field(
        DEFAULT_SECURITY_MASTER_URL,
        description="SecurityMaster.zip, read by symbol lookups (env BREEZE_SECURITY_MASTER_URL).",
    )
    calls_per_minute: Annotated[int, Field(ge=1, le=1_000_000), WHEN_RESOLVED] = Field(
        100,
        description="Installation-wide calls per rate window (env BREEZE_CALLS_PER_MINUTE).",
    )
    calls_per_day: Annotated[int, Field(ge=1, le=10_000_000), WHEN_RESOLVED] = Field(
        5000,
        description="Installation-wide calls per 24 h (env BREEZE_CALLS_PER_DAY).",
    )
    daily_reserve: Annotated[int, Field(ge=0, le=10_000_000), WHEN_RESOLVED] = Field(
        200,
        description=(
            "Calls of each day's cap that intraday backfills leave for the daily refreshes "
            "(about one a symbol: 200 covers NIFTY 100 twice) (env BREEZE_DAILY_RESERVE)."
        ),
    )
    rate_margin_percent: Annotated[int, Field(ge=0, le=100), WHEN_RESOLVED] = Field(
        2,
        description=(
            "Each rate window counts this much longer than it is, 1.2 s of 60 s, for how the "
            "server rounds its clock (env BREEZE_RATE_MARGIN_PERCENT)."
        ),
    )
    request_timeout_seconds: Annotated[int, Field(ge=1, le=3600), WHEN_RESOLVED] = Field(
        60,
        description="Give up on one call after this (env BREEZE_TIMEOUT_SECONDS).",
    )
    session_timeout_seconds: Annotated[int, Field(ge=1, le=3600), WHEN_RESOLVED] = Field(
        180,
        description=(
            "Give up on login, which downloads SecurityMaster.zip twice, after this "
            "(env BREEZE_SESSION_TIMEOUT_SECONDS)."
        ),
    )
    max_retries: Annotated[int, Field(ge=0, le=20), WHEN_RESOLVED] = Field(
        4,
        description="Retries of rate-limited or transient answers (env BREEZE_MAX_RETRIES).",
    )
    backoff_seconds: Annotated[int, Field(ge=0, le=3600), WHEN_RESOLVED] = Field(
        2,
        description="First retry delay; doubles each retry (env BREEZE_BACKOFF_SECONDS).",
    )
    max_backoff_seconds: Annotated[int, Field(ge=0, le=3600), WHEN_RESOLVED] = Field(
        60, description="Longest retry delay (env BREEZE_MAX_BACKOFF_SECONDS)."
    )
    refetch_empty_years: bool = Field(
        False,
        description=(
            "Ask again for closed years whose cached answer is empty, otherwise asked once "
            "(env BREEZE_REFETCH_EMPTY_YEARS=true, for the runs that should)."
        ),
    )
    cache_dir: str = Field(
        default=str(DATA_DIR / "cache" / "breeze"),
        description="Answer cache, rate-limiter state and breeze_connect's own files.",
    )
    reference_dir: str = Field(
        default=str(REFERENCE_DIR),
        description="Folder of sessions.csv: the sessions and hours intraday pages are cut from.",
    )
    rate_window_seconds: Annotated[float, Field(gt=0, le=3600), WHEN_RESOLVED] = Field(
        60.0,
        description="Length of the calls_per_minute window (shortened only by tests).",
    )

    _connection: BreezeConnection | None = PrivateAttr(default=None)
    """The session this process logged in with, kept across calls (`_connected`)."""
    _clock: Callable[[], float] = PrivateAttr(default=time.time)
    """The limiter's clock; tests move it a day ahead (`use_clock`)."""

    def use_clock(self, clock: Callable[[], float]) -> "BreezeSource":
        """Count the daily budget on `clock` instead of the system's (tests: a simulated day)."""
        self._clock = clock
        return self

    def budget_state(self) -> BreezeBudget:
        """The day's call budget across every process of this installation, for the UI."""
        return self._limiter().budget_state()

    def lookup(self, symbol: str, nse_ticker: str) -> SymbolMapping:
        """Map an NSE ticker to ICICI's stock code; a miss is a failed mapping, never a guess."""
        return isec_mapping(self._connected(), symbol, nse_ticker)

    def fetch_year(self, mapping: SymbolMapping, year: int) -> FetchResult:
        """One symbol-year: `fetch_years` of that year alone, its error raised."""
        result = self.fetch_years(mapping, [year])[year]
        if isinstance(result, Exception):
            raise result
        return result

    def fetch_years(
        self,
        mapping: SymbolMapping,
        years: Sequence[int],
        *,
        refetch: bool = False,
        cache_when_accepted: bool = False,
    ) -> dict[int, FetchResult | Exception]:
        """A symbol's years in as few calls as fit under the candle cap, each year's own result.

        Closed years come from the cache (an empty one too, unless `refetch_empty_years`; none
        with `refetch`, so that a correction the source made to a closed year arrives); the
        others are asked in runs of consecutive years, up to three a call. A call that fails
        fails the years it asked for; a bad candle fails its year only. Refused credentials
        raise, since every further call would fail the same way.

        With `cache_when_accepted` (the ingestion asset) an answer is cached only when its
        `accept()` is called, once the warehouse took it; a refused one is never cached, and
        `reject()` of a cached one forgets it. Otherwise every answer is cached as it arrives.
        """
        return daily.fetch_years(
            self._connected(),
            self._cache(),
            mapping,
            years,
            refetch=refetch,
            refetch_empty_years=self.refetch_empty_years,
            cache_when_accepted=cache_when_accepted,
        )

    def fetch_intraday(self, mapping: SymbolMapping, month: dt.date, interval: str) -> pd.DataFrame:
        """A symbol-month in the fewest calls the 1000-candle cap allows (`breeze.intraday`).

        Pages are asked in order through the limiter as bulk calls, which leave the daily reserve
        alone; each answer is checked against its page and cached as it arrives, so a fetch that
        meets the day's budget raises `DailyBudgetExhaustedError` and the re-run the next day
        asks only the pages not yet cached. The frame's `attrs["stats"]` holds the counters.
        """
        return intraday.fetch_month(
            self._connected(),
            self._cache(),
            mapping,
            month,
            interval,
            now=dt.datetime.fromtimestamp(self._clock(), dt.UTC),
            reference_dir=Path(self.reference_dir),
        )

    def forget_intraday(self, mapping: SymbolMapping, month: dt.date, interval: str) -> None:
        """Forget the month's cached pages, refused by the warehouse: the next run asks again."""
        if mapping.isec_code is not None:
            self._cache().discard_pages(mapping.isec_code, interval, month)

    def _connected(self) -> BreezeConnection:
        """This process's session with Breeze, built from the settings on first use."""
        if self._connection is None:
            self._connection = BreezeConnection(
                api_key=self.api_key,
                api_secret=self.api_secret,
                session_token=self.session_token,
                secrets_dir=self.secrets_dir,
                api_url=self.api_url,
                historical_url=self.historical_url,
                security_master_url=self.security_master_url,
                work_dir=self._work_dir(),
                session_timeout_seconds=self.session_timeout_seconds,
                calls=CallPolicy(
                    limiter=self._limiter(),
                    timeout_seconds=self.request_timeout_seconds,
                    max_retries=self.max_retries,
                    backoff_seconds=self.backoff_seconds,
                    max_backoff_seconds=self.max_backoff_seconds,
                ),
            )
        return self._connection

    def _limiter(self) -> RateLimiter:
        return RateLimiter(
            path=self._work_dir() / "limiter.sqlite",
            calls_per_window=self.calls_per_minute,
            window_seconds=self.rate_window_seconds,
            calls_per_day=self.calls_per_day,
            margin_seconds=self.rate_window_seconds * self.rate_margin_percent / 100,
            in_flight_seconds=max(self.request_timeout_seconds, self.session_timeout_seconds),
            reserve=self.daily_reserve,
            clock=lambda: self._clock(),  # read at each call: `use_clock` may come later
        )

    def _cache(self) -> AnswerCache:
        return AnswerCache.for_server(self._work_dir(), self.historical_url)

    def _work_dir(self) -> Path:
        return Path(self.cache_dir)
