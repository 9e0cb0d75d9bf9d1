"""The live ICICI Breeze bar source, through the real breeze_connect client.

One `get_historical_data_v2(interval="1day")` call covers a symbol-year (about 250 candles, under
the 1000-candle cap). Every call passes the installation-wide rate limiter, runs under a timeout,
and has its answer classified; only rate-limited and transient answers are retried, with bounded
exponential back-off. Finished years are served from the answer cache. Credentials are only ever
sent to breeze_connect: every message that leaves this module is scrubbed of them.
"""

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import dagster as dg
from pydantic import Field, PrivateAttr

from sensequant_assets.market.calendar import IST
from sensequant_assets.paths import DATA_DIR
from sensequant_assets.sources.bars import empty_bars
from sensequant_assets.sources.base import BarSource, FetchResult, SymbolMapping
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
from sensequant_assets.sources.breeze.cache import AnswerCache
from sensequant_assets.sources.breeze.candles import candles_to_bars
from sensequant_assets.sources.breeze.client import (
    CallTimeoutError,
    call_with_timeout,
    load_breeze,
    point_at,
)
from sensequant_assets.sources.breeze.limiter import RateLimiter
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
    "https://api.icicidirect.com/apiuser/login?api_key=<your app key>, put the new session "
    "token in BREEZE_SESSION_TOKEN and re-run."
)

Stats = dict[str, float | int | str]


class BreezeSource(BarSource):
    """ICICI Direct Breeze daily bars (source "breeze", market data)."""

    name: ClassVar[str] = "breeze"
    origin: ClassVar[Origin] = "market"

    api_key: str = Field(repr=False, description="Breeze app key (env BREEZE_API_KEY).")
    api_secret: str = Field(repr=False, description="Breeze secret key (env BREEZE_API_SECRET).")
    session_token: str = Field(
        repr=False, description="Today's session token (env BREEZE_SESSION_TOKEN)."
    )
    api_url: str = Field(DEFAULT_API_URL, description="Base URL of the v1 API (customerdetails).")
    historical_url: str = Field(
        DEFAULT_HISTORICAL_URL, description="Base URL of the v2 API (historicalcharts)."
    )
    security_master_url: str = Field(
        DEFAULT_SECURITY_MASTER_URL, description="SecurityMaster.zip, used by symbol lookups."
    )
    cache_dir: str = Field(
        default=str(DATA_DIR / "cache" / "breeze"),
        description="Answer cache, rate-limiter state and breeze_connect's own files.",
    )
    calls_per_minute: int = Field(100, description="Installation-wide calls per rate window.")
    calls_per_day: int = Field(5000, description="Installation-wide calls per day.")
    rate_window_seconds: float = Field(
        60.0, description="Length of the calls_per_minute window (shortened only by tests)."
    )
    request_timeout_seconds: float = Field(60.0, description="Give up on one call after this.")
    session_timeout_seconds: float = Field(
        180.0, description="Give up on login (it downloads SecurityMaster.zip twice) after this."
    )
    max_retries: int = Field(4, description="Retries of rate-limited or transient answers.")
    backoff_seconds: float = Field(2.0, description="First retry delay; doubles each retry.")
    max_backoff_seconds: float = Field(60.0, description="Longest retry delay.")

    _breeze: Any = PrivateAttr(default=None)
    _module: Any = PrivateAttr(default=None)

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
        """One symbol-year of daily bars: from the cache if the year is finished, else one call."""
        if not mapping.resolved or mapping.isec_code is None:
            raise BreezeAnswerError(
                f"{mapping.symbol}|{year}: no ISEC stock code (mapping {mapping.status}: "
                f"{mapping.error}); fix the symbol mapping before fetching bars."
            )
        isec_code = mapping.isec_code
        now = dt.datetime.now(dt.UTC)
        requested = requested_range(year, now)
        from_date = f"{requested[0].isoformat()}T00:00:00.000Z"
        to_date = f"{requested[1].isoformat()}T23:59:59.000Z"
        where = (
            f"Breeze get_historical_data_v2(interval={INTERVAL}, stock_code={isec_code}, "
            f"exchange_code=NSE, product_type=cash, from_date={from_date}, to_date={to_date}) "
            f"at {self.historical_url}"
        )
        stats = _new_stats()
        cache = AnswerCache.for_server(self._work_dir(), self.historical_url)
        cached = cache.load(isec_code, year, INTERVAL)
        if cached.state == "hit":
            stats["cache_hits"] = 1
            bars = candles_to_bars(
                cached.payload["Success"], mapping.symbol, year, requested, where
            )
            return FetchResult(bars, stats)
        if cached.state == "corrupt":
            stats["cache_corrupt"] = 1
            dg.get_dagster_logger().warning(
                f"Corrupt Breeze cache entry refetched ({cached.detail})"
            )
        breeze = self._session(stats)
        answer = self._call(
            where,
            lambda: breeze.get_historical_data_v2(
                interval=INTERVAL,
                from_date=from_date,
                to_date=to_date,
                stock_code=isec_code,
                exchange_code="NSE",
                product_type="cash",
            ),
            classify_historical,
            stats,
            counter="api_calls",
        )
        if answer.kind == "no_data":
            stats["note"] = f"{where} returned no rows ({answer.message}); not retried"
            return FetchResult(empty_bars(), stats)
        if answer.kind != "success":
            raise self._failure(answer, f"{where} for {mapping.symbol}|{year}")
        bars = candles_to_bars(answer.payload["Success"], mapping.symbol, year, requested, where)
        cache.store(isec_code, year, INTERVAL, answer.payload, now)
        return FetchResult(bars, stats)

    def _session(self, stats: Stats) -> Any:
        """A logged-in BreezeConnect for this process, created on first use."""
        if self._breeze is None:
            self._check_credentials()
            module = load_breeze(
                self.security_master_url, self._work_dir(), self.request_timeout_seconds
            )
            point_at(module, self.api_url, self.historical_url, self.security_master_url)
            breeze = module.BreezeConnect(api_key=self.api_key)
            answer = self._call(
                f"Breeze login (customerdetails at {self.api_url})",
                lambda: breeze.generate_session(
                    api_secret=self.api_secret, session_token=self.session_token
                ),
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

    def _call(
        self,
        what: str,
        call: Callable[[], object],
        classify: Callable[[object], Answer],
        stats: Stats,
        counter: str,
        timeout: float | None = None,
    ) -> Answer:
        """One logical call: limiter, timeout, classification, bounded retries."""
        limiter = RateLimiter(
            path=self._work_dir() / "limiter.sqlite",
            calls_per_window=self.calls_per_minute,
            window_seconds=self.rate_window_seconds,
            calls_per_day=self.calls_per_day,
        )
        attempt = 0
        while True:
            try:
                waited = limiter.acquire()
            except BreezeError as exc:
                raise BreezeUnavailableError(f"{what}: {exc}") from None
            stats["limiter_wait_seconds"] = round(float(stats["limiter_wait_seconds"]) + waited, 3)
            stats[counter] = int(stats.get(counter, 0)) + 1
            try:
                answer = classify(call_with_timeout(timeout or self.request_timeout_seconds, call))
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

    def _failure(self, answer: Answer, what: str) -> BreezeError:
        """The exception for a final, unusable answer, scrubbed and without the client's chain."""
        if answer.kind == "auth_failure":
            detail = answer.message
            hint = (
                "Check BREEZE_API_KEY (the app key from ICICI's API portal)."
                if "api key" in detail.lower() or "public key" in detail.lower()
                else _SESSION_TOKEN_HELP
            )
            return BreezeAuthError(self._scrub(f"{what}: credentials refused ({detail}). {hint}"))
        if answer.kind in ("rate_limited", "transient"):
            return BreezeUnavailableError(
                self._scrub(
                    f"{what}: still {answer.kind} after {self.max_retries} retries "
                    f"({answer.message}); the partition is unchanged, re-run it later."
                )
            )
        return BreezeAnswerError(self._scrub(f"{what}: {answer.kind} ({answer.message})"))

    def _check_credentials(self) -> None:
        missing = [
            variable
            for variable, value in (
                ("BREEZE_API_KEY", self.api_key),
                ("BREEZE_API_SECRET", self.api_secret),
                ("BREEZE_SESSION_TOKEN", self.session_token),
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
        secrets = [self.api_key, self.api_secret, self.session_token]
        if self._breeze is not None:
            handler = getattr(self._breeze, "api_handler", None)
            secrets += [self._breeze.session_key, getattr(handler, "base64_session_token", None)]
        return scrub(text, secrets)

    def _work_dir(self) -> Path:
        return Path(self.cache_dir)


def requested_range(year: int, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The day span asked for `year`: a day's margin each side, never past today (IST)."""
    today = now.astimezone(IST).date()
    return dt.date(year - 1, 12, 31), min(dt.date(year + 1, 1, 1), today)


def _new_stats() -> Stats:
    return {"api_calls": 0, "cache_hits": 0, "retries": 0, "limiter_wait_seconds": 0.0}
