"""The live ICICI Breeze bar source, through the real breeze_connect client.

A year of daily bars is about 250 candles and a call answers up to 1000, so a symbol's consecutive
years are asked in one `get_historical_data_v2(interval="1day")` call, up to three a call, and the
answer is split per year: each year is validated, cached and reported on its own. Closed years
(including empty ones) are served from the answer cache, so re-runs make no calls. Every call
passes the installation-wide rate limiter, runs under a timeout, and has its answer classified;
only rate-limited and transient answers are retried, with bounded exponential back-off.
Credentials are only ever sent to breeze_connect: every message that leaves this module is
scrubbed of them.
"""

import datetime as dt
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Annotated, Any, ClassVar

import dagster as dg
import pandas as pd
from pydantic import Field, PrivateAttr

from sensequant_assets.market.calendar import IST, last_closed_day, last_completed_session
from sensequant_assets.market.intraday import minutes_per_candle, month_candles
from sensequant_assets.paths import DATA_DIR
from sensequant_assets.settings import WHEN_RESOLVED
from sensequant_assets.sources.bars import BarsValidationError, empty_bars
from sensequant_assets.sources.base import (
    AlreadyReportedAuthError,
    BarSource,
    FetchResult,
    SourceAuthError,
    SymbolMapping,
)
from sensequant_assets.sources.breeze.answers import (
    Answer,
    BreezeAnswerError,
    BreezeAuthError,
    BreezeError,
    BreezeUnavailableError,
    classify_exception,
    classify_historical,
    classify_names,
    scrub,
)
from sensequant_assets.sources.breeze.cache import AnswerCache, CacheLookup, year_is_final
from sensequant_assets.sources.breeze.candles import (
    CANDLE_CAP,
    MAX_YEARS_PER_CALL,
    answer_frame,
    candles_to_bars,
    year_bars,
    year_rows,
)
from sensequant_assets.sources.breeze.client import (
    CallTimeoutError,
    call_with_timeout,
    load_breeze,
    point_at,
)
from sensequant_assets.sources.breeze.limiter import BudgetState, CallKind, RateLimiter
from sensequant_assets.sources.breeze.pages import Page, join_pages, page_frame, plan_pages
from sensequant_assets.sources.breeze.session import (
    SessionTokenError,
    mark_refused,
    read_token,
    refused,
    stored_at,
)
from sensequant_assets.sources.intraday_bars import conform_intraday, empty_intraday
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days
from sensequant_assets.warehouse.storage import Origin

# breeze_connect 1.0.69's own defaults (its config module), kept here so that reading them
# does not import the package (which downloads a file at import).
DEFAULT_API_URL = "https://api.icicidirect.com/breezeapi/api/v1/"
DEFAULT_HISTORICAL_URL = "https://breezeapi.icicidirect.com/api/v2/"
DEFAULT_SECURITY_MASTER_URL = (
    "https://directlink.icicidirect.com/MotherAppMaster/SecurityMaster.zip"
)

INTERVAL = "1day"
_SESSION_TOKEN_HELP = (
    "The Breeze session token expires every day (around midnight IST): log in at "
    "https://api.icicidirect.com/apiuser/login?api_key=<your app key>, then hand the new "
    "session token to the running deployment with `sensequant breeze-session` (no restart; "
    "or set BREEZE_SESSION_TOKEN) and re-run what failed."
)

Stats = dict[str, float | int | str]


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
        default=str(DATA_DIR / "reference"),
        description="Folder of sessions.csv: the sessions and hours intraday pages are cut from.",
    )
    rate_window_seconds: Annotated[float, Field(gt=0, le=3600), WHEN_RESOLVED] = Field(
        60.0,
        description="Length of the calls_per_minute window (shortened only by tests).",
    )

    _breeze: Any = PrivateAttr(default=None)
    _module: Any = PrivateAttr(default=None)
    _token: str = PrivateAttr(default="")
    """The session token `_breeze` logged in with."""
    _clock: Callable[[], float] = PrivateAttr(default=time.time)
    """The limiter's clock; tests move it a day ahead (`use_clock`)."""

    def use_clock(self, clock: Callable[[], float]) -> "BreezeSource":
        """Count the daily budget on `clock` instead of the system's (tests: a simulated day)."""
        self._clock = clock
        return self

    def budget_state(self) -> BudgetState:
        """The day's call budget across every process of this installation, for the UI."""
        return self._limiter().budget_state()

    def lookup(self, symbol: str, nse_ticker: str) -> SymbolMapping:
        """Map an NSE ticker to ICICI's stock code; a miss is a failed mapping, never a guess."""
        breeze = self._session(_new_stats())
        what = f"Breeze get_names('NSE', {nse_ticker!r}) for {symbol}"
        try:
            answer = classify_names(
                breeze.get_names(exchange_code="NSE", stock_code=nse_ticker), nse_ticker
            )
        except Exception as exc:
            raise BreezeAnswerError(self._scrub(f"{what} failed: {exc}")) from None
        if answer.kind == "success":
            raw = answer.payload
            return SymbolMapping(
                symbol=symbol,
                nse_ticker=nse_ticker,
                isec_code=str(raw["isec_stock_code"]).strip(),
                isec_token=str(raw["isec_token"]).strip(),
                company_name=str(raw.get("company name", "")).strip() or None,
                status="success",
            )
        if answer.kind in ("not_found", "rejected"):
            hint = (
                f"{nse_ticker} is not an NSE symbol in ICICI's SecurityMaster; if the universe "
                "name differs from the NSE ticker, add it to data/reference/aliases.csv"
                if answer.kind == "not_found"
                else "fix the alias so that it names exactly one NSE symbol"
            )
            return SymbolMapping.failed(
                symbol, nse_ticker, self._scrub(f"{what}: {answer.message}; {hint}")
            )
        raise self._failure(answer, what)

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
        if not mapping.resolved or mapping.isec_code is None:
            return {
                year: BreezeAnswerError(
                    f"{mapping.symbol}|{year}: no ISEC stock code (mapping {mapping.status}: "
                    f"{mapping.error}); fix the symbol mapping before fetching bars."
                )
                for year in years
            }
        cache = AnswerCache.for_server(self._work_dir(), self.historical_url)
        results: dict[int, FetchResult | Exception] = {}
        to_ask: list[int] = []
        corrupt: list[int] = []
        for year in sorted(set(years)):
            cached = (
                CacheLookup("miss") if refetch else cache.load(mapping.isec_code, year, INTERVAL)
            )
            if cached.state == "hit" and (
                cached.payload["Success"] or not self.refetch_empty_years
            ):
                results[year] = self._from_cache(cached, mapping, year)
                if isinstance(result := results[year], FetchResult):
                    result.reject = partial(cache.discard, mapping.isec_code, year, INTERVAL)
                continue
            if cached.state == "corrupt":
                corrupt.append(year)
                dg.get_dagster_logger().warning(
                    f"Corrupt Breeze cache entry refetched ({cached.detail})"
                )
            to_ask.append(year)
        results |= self._ask(mapping, call_spans(to_ask), cache)
        for year in corrupt:
            if isinstance(result := results[year], FetchResult):
                result.stats["cache_corrupt"] = 1
        if not cache_when_accepted:
            for result in results.values():
                if isinstance(result, FetchResult):
                    result.accept()
        return {year: results[year] for year in years}

    def fetch_intraday(self, mapping: SymbolMapping, month: dt.date, interval: str) -> pd.DataFrame:
        """A symbol-month in the fewest calls the 1000-candle cap allows (`breeze.pages`).

        Pages are asked in order through the limiter as bulk calls, which leave the daily reserve
        alone; each answer is checked against its page and cached as it arrives, so a fetch that
        meets the day's budget raises `DailyBudgetExhaustedError` and the re-run the next day
        asks only the pages not yet cached. The frame's `attrs["stats"]` holds the counters.
        """
        minutes = minutes_per_candle(interval)
        if month.day != 1:
            raise ValueError(f"month must be the first day of a month, not {month}")
        label = f"{mapping.symbol}|{month:%Y-%m} at {interval}"
        if not mapping.resolved or mapping.isec_code is None:
            raise BreezeAnswerError(
                f"{label}: no ISEC stock code (mapping {mapping.status}: {mapping.error}); fix "
                "the symbol mapping before fetching bars."
            )
        isec_code = mapping.isec_code
        now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        known = load_known_days(Path(self.reference_dir) / SESSIONS_FILE)
        through = last_completed_session(now, known)
        expected = month_candles(month.year, month.month, interval, known, through)
        pages = plan_pages(expected, minutes)
        cache = AnswerCache.for_server(self._work_dir(), self.historical_url)
        context = f"Breeze {label} (stock_code={isec_code}) at {self.historical_url}"
        stats = _new_stats() | {"pages": len(pages)}
        frames = []
        for page in pages:
            cached = cache.load_page(isec_code, interval, page.first, page.last, page.end)
            if cached.state == "hit":
                stats["cache_hits"] = int(stats["cache_hits"]) + 1
                frames.append(page_frame(cached.payload["Success"], page, context))
                continue
            candles = self._ask_page(isec_code, interval, page, context, stats)
            frame = page_frame(candles, page, context)  # refused pages are never cached
            cache.store_page(
                isec_code,
                interval,
                page.first,
                page.last,
                {"Success": candles, "Status": 200, "Error": None},
                now,
            )
            frames.append(frame)
        if not frames:
            bars = empty_intraday()
        else:
            try:
                joined = join_pages(frames, pages, context)
                bars = conform_intraday(joined, mapping.symbol, month, where=context)
            except BarsValidationError:
                cache.discard_pages(isec_code, interval, month)  # refused: asked again next run
                raise
        if bars.empty:
            stats["note"] = f"{context} answered no candles for {len(pages)} pages"
        bars.attrs["stats"] = stats
        return bars

    def forget_intraday(self, mapping: SymbolMapping, month: dt.date, interval: str) -> None:
        """Forget the month's cached pages, refused by the warehouse: the next run asks again."""
        if mapping.isec_code is not None:
            cache = AnswerCache.for_server(self._work_dir(), self.historical_url)
            cache.discard_pages(mapping.isec_code, interval, month)

    def _ask_page(
        self, isec_code: str, interval: str, page: Page, context: str, stats: Stats
    ) -> list[object]:
        from_date, to_date = page.request()
        where = (
            f"{context}: get_historical_data_v2(interval={interval}, from_date={from_date}, "
            f"to_date={to_date}) for {page.label()}"
        )
        return self._historical(isec_code, interval, (from_date, to_date), where, stats, "bulk")

    def _historical(
        self,
        isec_code: str,
        interval: str,
        dates: tuple[str, str],
        where: str,
        stats: Stats,
        kind: CallKind,
    ) -> list[object]:
        """One historical call through the limiter: its candles (none for an empty answer), or a
        failure naming `where`."""
        breeze = self._session(stats)
        answer = self._call(
            where,
            lambda: breeze.get_historical_data_v2(
                interval=interval,
                from_date=dates[0],
                to_date=dates[1],
                stock_code=isec_code,
                exchange_code="NSE",
                product_type="cash",
            ),
            classify_historical,
            stats,
            counter="api_calls",
            kind=kind,
        )
        if answer.kind not in ("success", "no_data"):
            raise self._failure(answer, where)
        return list(answer.payload["Success"]) if answer.kind == "success" else []

    def _from_cache(
        self, cached: CacheLookup, mapping: SymbolMapping, year: int
    ) -> FetchResult | Exception:
        """A closed year as it was answered; rules that changed since still apply."""
        assert cached.fetched_at is not None  # every hit says when it was fetched
        stats = _new_stats() | {"cache_hits": 1}
        candles = cached.payload["Success"]
        asked = f"{cached.fetched_at.astimezone(IST):%Y-%m-%d %H:%M} IST"
        if not candles:
            stats["note"] = (
                f"Breeze answered no candles for {mapping.symbol}|{year} when asked on {asked}; "
                "a closed year is not asked again (set refetch_empty_years to ask)"
            )
            return FetchResult(empty_bars(), stats)
        where = f"Breeze answer for stock_code={mapping.isec_code} cached on {asked}"
        try:
            bars = candles_to_bars(
                candles, mapping.symbol, year, requested_range(year, year), where
            )
        except BarsValidationError as exc:
            return exc
        return FetchResult(bars, stats)

    def _ask(
        self, mapping: SymbolMapping, spans: list[list[int]], cache: AnswerCache
    ) -> dict[int, FetchResult | Exception]:
        """One call per span; a span whose answer reached the cap is asked again year by year."""
        results: dict[int, FetchResult | Exception] = {}
        for span in spans:
            try:
                results |= self._ask_span(mapping, span, cache)
            except _AnswerAtCapError as exc:
                dg.get_dagster_logger().warning(f"{exc}; asking each year alone")
                results |= self._ask(mapping, [[year] for year in span], cache)
            except SourceAuthError:
                raise
            except Exception as exc:
                results |= dict.fromkeys(span, exc)
        return results

    def _ask_span(
        self, mapping: SymbolMapping, span: list[int], cache: AnswerCache
    ) -> dict[int, FetchResult | Exception]:
        """Consecutive years of one symbol in one call, split, validated and cached per year."""
        isec_code = str(mapping.isec_code)
        now = dt.datetime.now(dt.UTC)
        requested = requested_range(span[0], span[-1], now)
        from_date = f"{requested[0].isoformat()}T00:00:00.000Z"
        to_date = f"{requested[1].isoformat()}T23:59:59.000Z"
        where = (
            f"Breeze get_historical_data_v2(interval={INTERVAL}, stock_code={isec_code}, "
            f"exchange_code=NSE, product_type=cash, from_date={from_date}, to_date={to_date}) "
            f"at {self.historical_url}"
        )
        label = f"{mapping.symbol}|{span[0]}" + (f"-{span[-1]}" if len(span) > 1 else "")
        stats = _new_stats() | {"call_years": f"{span[0]}-{span[-1]}"}
        asked = f"{where} for {label}"
        candles = self._historical(isec_code, INTERVAL, (from_date, to_date), asked, stats, "daily")
        if len(candles) >= CANDLE_CAP and len(span) > 1:
            raise _AnswerAtCapError(
                f"{where} answered {len(candles)} candles for {label}, Breeze's "
                f"{CANDLE_CAP}-candle cap, so the answer may be truncated"
            )
        frame = answer_frame(candles, requested, f"{where} ({label})") if candles else None
        results: dict[int, FetchResult | Exception] = {}
        for year in span:
            rows = [] if frame is None else year_rows(frame, year)
            try:
                bars = (
                    empty_bars() if frame is None else year_bars(frame, mapping.symbol, year, where)
                )
            except BarsValidationError as exc:
                results[year] = exc  # not cached: asked again next time
                continue
            answered = {"Success": [candles[i] for i in rows], "Status": 200, "Error": None}
            year_stats = dict(stats)
            if bars.empty:
                year_stats["note"] = (
                    f"{where} answered no candles for {mapping.symbol}|{year}; "
                    + (
                        "cached as empty: re-runs make no call (set refetch_empty_years to ask)"
                        if year_is_final(year, now)
                        else "the year is still open, so it is asked again on the next run"
                    )
                )
            keep = partial(cache.store, isec_code, year, INTERVAL, answered, now)
            results[year] = FetchResult(bars, year_stats, accept=keep)
        return results

    def _session(self, stats: Stats) -> Any:
        """A logged-in BreezeConnect for this process, created on first use and again when the
        operator stored another token since. A token Breeze already refused fails at once."""
        token = self._current_token()
        if self._breeze is None or token != self._token:
            self._check_credentials(token)
            self._breeze, self._token = None, token
            self._refuse_known(token)
            module = load_breeze(
                self.security_master_url, self._work_dir(), self.request_timeout_seconds
            )
            point_at(module, self.api_url, self.historical_url, self.security_master_url)
            breeze = module.BreezeConnect(api_key=self.api_key)
            answer = self._call(
                f"Breeze login (customerdetails at {self.api_url})",
                lambda: breeze.generate_session(api_secret=self.api_secret, session_token=token),
                lambda _: Answer("success", "session created"),
                stats,
                counter="session_calls",
                timeout=self.session_timeout_seconds,
            )
            if answer.kind != "success":
                raise self._failure(answer, f"Breeze login at {self.api_url}")
            self._breeze, self._module = breeze, module
        # breeze reads its URLs from module state at call time: re-point them for this resource.
        point_at(self._module, self.api_url, self.historical_url, self.security_master_url)
        return self._breeze

    def _limiter(self) -> RateLimiter:
        return RateLimiter(
            path=self._work_dir() / "limiter.sqlite",
            calls_per_window=self.calls_per_minute,
            window_seconds=self.rate_window_seconds,
            calls_per_day=self.calls_per_day,
            margin_seconds=self.rate_window_seconds * self.rate_margin_percent / 100,
            in_flight_seconds=max(self.request_timeout_seconds, self.session_timeout_seconds),
            reserve=self.daily_reserve,
            clock=self._clock,
        )

    def _call(
        self,
        what: str,
        call: Callable[[], object],
        classify: Callable[[object], Answer],
        stats: Stats,
        counter: str,
        timeout: float | None = None,
        kind: CallKind = "daily",
    ) -> Answer:
        """One logical call: limiter, timeout, classification, bounded retries."""
        limiter = self._limiter()
        attempt = 0
        while True:
            # A spent daily budget raises here, before any call: the batch stops, no retry loop.
            with limiter.slot(kind) as waited:
                stats["limiter_wait_seconds"] = round(
                    float(stats["limiter_wait_seconds"]) + waited, 3
                )
                stats[counter] = int(stats.get(counter, 0)) + 1
                try:
                    answer = classify(
                        call_with_timeout(timeout or self.request_timeout_seconds, call)
                    )
                except CallTimeoutError as exc:
                    answer = Answer("transient", str(exc))
                except Exception as exc:
                    answer = classify_exception(exc)
            if not answer.retryable or attempt >= self.max_retries:
                return answer
            attempt += 1
            delay = min(self.backoff_seconds * 2 ** (attempt - 1), self.max_backoff_seconds)
            stats["retries"] = int(stats["retries"]) + 1
            dg.get_dagster_logger().warning(
                self._scrub(
                    f"{what}: {answer.kind} ({answer.message}); "
                    f"retry {attempt}/{self.max_retries} in {delay:g} s"
                )
            )
            time.sleep(delay)

    def _failure(self, answer: Answer, what: str) -> BreezeError | AlreadyReportedAuthError:
        """The exception for a final, unusable answer, scrubbed and without the client's chain.
        A refused session token is recorded; only the first run to meet it says so loudly."""
        if answer.kind == "auth_failure":
            detail = answer.message
            if "api key" in detail.lower() or "public key" in detail.lower():
                hint = "Check BREEZE_API_KEY (the app key from ICICI's API portal)."
                return BreezeAuthError(
                    self._scrub(f"{what}: credentials refused ({detail}). {hint}")
                )
            message = self._scrub(
                f"{what}: session token{self._token_origin()} refused ({detail}). "
                f"{_SESSION_TOKEN_HELP}"
            )
            if self.secrets_dir and not mark_refused(Path(self.secrets_dir), self._token, message):
                return AlreadyReportedAuthError(message)
            return BreezeAuthError(message)
        if answer.kind in ("rate_limited", "transient"):
            return BreezeUnavailableError(
                self._scrub(
                    f"{what}: still {answer.kind} after {self.max_retries} retries "
                    f"({answer.message}); the partition is unchanged, re-run it later."
                )
            )
        return BreezeAnswerError(self._scrub(f"{what}: {answer.kind} ({answer.message})"))

    def _current_token(self) -> str:
        """The stored token (`sensequant breeze-session`), read now, else BREEZE_SESSION_TOKEN."""
        if self.secrets_dir:
            try:
                stored = read_token(Path(self.secrets_dir))
            except SessionTokenError as exc:
                raise BreezeAuthError(str(exc)) from None
            if stored:
                return stored
        return self.session_token

    def _token_origin(self) -> str:
        """Where the token in use came from, for messages (never the token itself)."""
        when = stored_at(Path(self.secrets_dir)) if self.secrets_dir else None
        if when is None:
            return " (BREEZE_SESSION_TOKEN)"
        return f" stored {when.astimezone(IST):%Y-%m-%d %H:%M} IST"

    def _refuse_known(self, token: str) -> None:
        """Fail without a call when an earlier run already found `token` refused (and alerted)."""
        if not self.secrets_dir or (record := refused(Path(self.secrets_dir), token)) is None:
            return
        raise AlreadyReportedAuthError(
            f"Breeze login not tried: the session token{self._token_origin()} was refused at "
            f"{record.get('refused_at')} by an earlier run, which raised the alert. "
            f"{_SESSION_TOKEN_HELP}"
        )

    def _check_credentials(self, token: str) -> None:
        missing = [
            variable
            for variable, value in (
                ("BREEZE_API_KEY", self.api_key),
                ("BREEZE_API_SECRET", self.api_secret),
                ("BREEZE_SESSION_TOKEN", token),
            )
            if not value or not value.strip()
        ]
        if missing:
            raise BreezeAuthError(
                f"Breeze credentials missing: set {', '.join(missing)}. {_SESSION_TOKEN_HELP}"
                if "BREEZE_SESSION_TOKEN" in missing
                else f"Breeze credentials missing: set {', '.join(missing)}."
            )

    def _scrub(self, text: str) -> str:
        secrets = [self.api_key, self.api_secret, self.session_token, self._token]
        if self._breeze is not None:
            handler = getattr(self._breeze, "api_handler", None)
            secrets += [self._breeze.session_key, getattr(handler, "base64_session_token", None)]
        return scrub(text, secrets)

    def _work_dir(self) -> Path:
        return Path(self.cache_dir)


def requested_range(
    first_year: int, last_year: int, now: dt.datetime | None = None
) -> tuple[dt.date, dt.date]:
    """The day span asked for these years: a day's margin each side, never past the last day
    whose 15:30 IST close has passed. Today's candle before the close is a session still
    trading (Breeze answers it, the stand-in too): stored, it would be a partial bar that
    coverage_check fails as after the last completed session, gating the symbol's teacher."""
    closed = last_closed_day(now)
    return dt.date(first_year - 1, 12, 31), min(dt.date(last_year + 1, 1, 1), closed)


def call_spans(years: Sequence[int], most: int = MAX_YEARS_PER_CALL) -> list[list[int]]:
    """Sorted years grouped into runs of consecutive years, at most `most` a run: one call each."""
    spans: list[list[int]] = []
    for year in sorted(set(years)):
        if spans and spans[-1][-1] == year - 1 and len(spans[-1]) < most:
            spans[-1].append(year)
        else:
            spans.append([year])
    return spans


class _AnswerAtCapError(Exception):
    """A several-year answer reached the candle cap: it may be cut short, so ask for less."""


def _new_stats() -> Stats:
    return {"api_calls": 0, "cache_hits": 0, "retries": 0, "limiter_wait_seconds": 0.0}
