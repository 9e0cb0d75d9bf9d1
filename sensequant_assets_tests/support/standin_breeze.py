"""A stand-in for ICICI's Breeze HTTP API on 127.0.0.1, driven by the real breeze_connect client.

It serves what breeze_connect 1.0.69 asks for: `customerdetails` (a GET with a JSON body, answered
with a base64 "user:session_key"), `SecurityMaster.zip` holding `NSEScripMaster.txt` in ICICI's
header layout, and v2 `historicalcharts` (checks the session headers, answers NSE sessions in the
requested span, silently truncates at the 1000-candle cap like the real API). It records every API
call with the time it arrived, and answers scripted faults per stock code, one per call, in order.

Like the real server it can enforce a rate limit on arrivals: beyond `calls` API calls in any
rolling `window_seconds`, it answers HTTP 429 with an error body (`limit_rate`). It can also
enforce a per-day limit (`limit_daily`) on a clock tests move (`clock`): beyond `calls` API calls
in one IST calendar day of that clock it answers the same 429 body with a daily-limit text (what
the real API answers then is not documented; the client's limiter keeps it from ever asking).

Intraday intervals (1minute, 5minute, 30minute) are answered from the synthetic source's intraday
candles of the instrument's NSE symbol (the same candles, planted defects included), every candle
whose start lies in [from_date, to_date] read as IST wall-clock, cut to the first 1000 like the
daily answers. Which end the real API keeps when it truncates is not documented (breeze-api.md
says only that it answers at most 1000); the client refuses a truncated page either way.

It can add network latency (`set_latency`): a random delay before a call arrives and another
before its answer leaves, so calls sent at even intervals arrive at uneven ones, as over a real
network.

breeze_connect loads SecurityMaster once per process, so one server per process serves every test
(`StandinBreeze.shared()`); `reset()` clears calls and faults between tests.
"""

import base64
import datetime as dt
import io
import json
import random
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pandas as pd

from sensequant_assets.market.calendar import IST, sessions_in_year
from sensequant_assets.market.history import EARLIEST_FIRST_YEAR
from sensequant_assets.market.intraday import INTERVALS
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.sources.base import SymbolMapping
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days

SPECIAL_SESSIONS = load_known_days(REFERENCE_DIR / SESSIONS_FILE).sessions

# Marker credentials: the secrets test looks for them everywhere.
API_KEY = "APIKEY-MARKER-4f1c9e"
API_SECRET = "APISECRET-MARKER-8b2d07"
SESSION_TOKEN = "SESSIONTOKEN-MARKER-51aa3c"
SESSION_KEY = "SESSIONKEY-MARKER-c0ffee"
USER_ID = "STANDINUSER"
MARKERS = (API_KEY, API_SECRET, SESSION_TOKEN, SESSION_KEY)

CANDLE_CAP = 1000
HEADER = (
    '"Token", "ShortName", "Series", "CompanyName", "ticksize", "Lotsize", "DateOfListing", '
    '"DateOfDeListing", "IssuePrice", "FaceValue", "ISINCode", "52WeeksHigh", "52WeeksLow", '
    '"LifeTimeHigh", "LifeTimeLow", "HighDate", "LowDate", "Symbol", "InstrumentType", '
    '"ExchangeCode"'
)
FAULTS = frozenset(
    {
        "429",
        "html500",
        "empty503",
        "hang",
        "bad_auth",
        "empty",
        "nan_price",
        "negative_price",
        "duplicate_dates",
        "outside_range",
        "truncated_json",
        "echo_secret",
        "cap",
        "drop_last",
        "utc",
        "drop_middle",
        "corrected",
    }
)
RATE_LIMITED = {"Success": None, "Status": 429, "Error": "Too many requests"}
DAILY_LIMITED = {"Success": None, "Status": 429, "Error": "Daily limit exceeded: too many requests"}


@dataclass(frozen=True)
class Instrument:
    token: str
    isec_code: str
    company: str
    nse_symbol: str

    def row(self) -> str:
        return (
            f'"{self.token}","{self.isec_code}","EQ","{self.company}",0.05,1,"01-JAN-2000","",'
            f'"0","10","INE000000000",100,50,100,1,"01-JAN-2024","01-JAN-2023",'
            f'"{self.nse_symbol}","EQUITY","{self.nse_symbol}"'
        )


BENCHMARK_SYMBOLS = tuple(f"BENCH{i:03d}" for i in range(1, 101))
INSTRUMENTS = (
    Instrument("2885", "RELIND", "RELIANCE INDUSTRIES LTD", "RELIANCE"),
    Instrument("20242", "OBEREA", "OBEROI REALTY LTD", "OBEROIRLTY"),
    Instrument("11536", "TCS", "TATA CONSULTANCY SERVICES", "TCS"),
    Instrument("1594", "INFTEC", "INFOSYS LTD", "INFY"),
    Instrument("3563", "ADAGRE", "ADANI GREEN ENERGY LTD", "ADANIGREEN"),
    # "DUPL" is one row's NSE symbol and another row's ICICI short name: get_names matches both.
    Instrument("9001", "DUPL", "FIRST DUPLICATE LTD", "DUPONE"),
    Instrument("9002", "DUPTWO", "SECOND DUPLICATE LTD", "DUPL"),
    *(
        Instrument(str(50000 + i), f"BM{i:03d}", f"BENCHMARK {i} LTD", symbol)
        for i, symbol in enumerate(BENCHMARK_SYMBOLS, start=1)
    ),
)
# Symbols that map fine but have no history, like ADANIGREEN in the original data.
NO_DATA_CODES = frozenset({"ADAGRE"})


def security_master_zip() -> bytes:
    text = "\n".join([HEADER, *(instrument.row() for instrument in INSTRUMENTS)]) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("NSEScripMaster.txt", text)
    return buffer.getvalue()


def _sessions(year: int) -> tuple[dt.date, ...]:
    if year >= EARLIEST_FIRST_YEAR:
        return sessions_in_year(year)
    # Before the calendar's range (only margin days are asked for): weekdays are close enough.
    days = (dt.date(year, 1, 1) + dt.timedelta(n) for n in range(366))
    return tuple(d for d in days if d.year == year and d.weekday() < 5)


def sessions_between(first: dt.date, last: dt.date) -> list[dt.date]:
    days = {
        day
        for year in range(first.year, last.year + 1)
        for day in _sessions(year)
        if first <= day <= last
    }
    days |= {day for day in SPECIAL_SESSIONS if first <= day <= last}
    return sorted(days)


def candles(stock_code: str, first: dt.date, last: dt.date) -> list[dict[str, object]]:
    """Deterministic daily candles, stamped like Breeze (IST wall-clock, no zone); a day's candle
    is the same whatever span the request asked for."""
    base = 100.0 + sum(map(ord, stock_code)) % 900
    out: list[dict[str, object]] = []
    for day in sessions_between(first, last):
        i = day.toordinal()
        close = round(base * (1 + 0.0005 * (i % 40)), 2)
        out.append(
            {
                "datetime": f"{day.isoformat()} 00:00:00",
                "stock_code": stock_code,
                "exchange_code": "NSE",
                "product_type": None,
                "open": round(close * 0.995, 2),
                "high": round(close * 1.01, 2),
                "low": round(close * 0.99, 2),
                "close": close,
                "volume": 100_000 + i % 1000,
                "open_interest": None,
                "count": 0,
            }
        )
    return out[:CANDLE_CAP]


@dataclass(frozen=True)
class Call:
    endpoint: str
    stock_code: str | None
    at: float
    query: dict[str, str] = field(default_factory=dict)
    rate_limited: bool = False
    """Answered 429 because the call was over the rate limit when it arrived."""
    day: dt.date | None = None
    """The IST day of the server's clock when the call arrived (the daily limit counts these)."""
    daily_limited: bool = False


@dataclass(frozen=True)
class RateLimit:
    calls: int
    window_seconds: float


class StandinBreeze:
    """The server and its state; handler threads share it under `lock`."""

    _shared: ClassVar["StandinBreeze | None"] = None
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.calls: list[Call] = []
        self.faults: dict[str, list[str]] = {}
        self.session_expired = False
        self.session_token = SESSION_TOKEN
        self.rate_limit: RateLimit | None = None
        self.daily_limit: int | None = None
        self.clock: Callable[[], float] = time.time
        self.latency = (0.0, 0.0)
        self.random = random.Random(12)
        self.master = security_master_zip()
        self.synthetic = SyntheticSource()
        self.intraday: dict[tuple[str, dt.date, str], pd.DataFrame] = {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.standin = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @classmethod
    def shared(cls) -> "StandinBreeze":
        """The one server of this process (breeze_connect keeps one SecurityMaster per process)."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/breezeapi/api/v1/"

    @property
    def historical_url(self) -> str:
        return f"{self.base_url}/api/v2/"

    @property
    def security_master_url(self) -> str:
        return f"{self.base_url}/SecurityMaster.zip"

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.faults.clear()
            self.session_expired = False
            self.session_token = SESSION_TOKEN
            self.rate_limit = None
            self.daily_limit = None
            self.clock = time.time
            self.latency = (0.0, 0.0)

    def rotate_session(self, token: str) -> None:
        """A new day: only `token` logs in from now on; the one before is refused as ICICI
        refuses yesterday's ("Invalid session.")."""
        with self.lock:
            self.session_token = token

    def limit_rate(self, calls: int, window_seconds: float) -> None:
        """Answer 429 to any API call that arrives when `calls` already arrived in the window."""
        with self.lock:
            self.rate_limit = RateLimit(calls, window_seconds)

    def limit_daily(self, calls: int, clock: Callable[[], float]) -> None:
        """Answer 429 to any API call beyond `calls` in one IST day of `clock`."""
        with self.lock:
            self.daily_limit, self.clock = calls, clock

    def page_calls(self, stock_code: str) -> Counter[tuple[str, str]]:
        """How often each (from_date, to_date) of `stock_code` was asked."""
        return Counter(
            (c.query["from_date"], c.query["to_date"]) for c in self.historical_calls(stock_code)
        )

    def daily_limited_calls(self) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.daily_limited]

    def intraday_candles(
        self, stock_code: str, first: pd.Timestamp, last: pd.Timestamp, interval: str
    ) -> list[dict[str, object]]:
        """The synthetic source's candles of the code's NSE symbol starting in [first, last]."""
        instrument = next(i for i in INSTRUMENTS if i.isec_code == stock_code)
        mapping = SymbolMapping(
            instrument.nse_symbol,
            instrument.nse_symbol,
            stock_code,
            instrument.token,
            instrument.company,
            "success",
        )
        months = pd.date_range(first.replace(day=1).normalize(), last, freq="MS")
        frames = []
        for month in (m.date() for m in months):
            key = (stock_code, month, interval)
            if key not in self.intraday:
                self.intraday[key] = self.synthetic.fetch_intraday(mapping, month, interval)
            frames.append(self.intraday[key])
        candles = pd.concat(frames) if frames else pd.DataFrame(columns=["ts"])
        candles = candles[(candles["ts"] >= first) & (candles["ts"] <= last)]
        return [
            {
                "datetime": f"{row.ts:%Y-%m-%d %H:%M:%S}",
                "stock_code": stock_code,
                "exchange_code": "NSE",
                "product_type": None,
                "open": row.open,
                "high": row.high,
                "low": row.low,
                "close": row.close,
                "volume": int(row.volume),
                "open_interest": None,
                "count": 0,
            }
            for row in candles.itertuples()
        ][:CANDLE_CAP]

    def set_latency(self, low: float, high: float) -> None:
        """Delay each call's arrival, and then its answer, by a uniform draw from [low, high]."""
        with self.lock:
            self.latency = (low, high)

    def network_delay(self) -> None:
        with self.lock:
            delay = self.random.uniform(*self.latency)
        if delay:
            time.sleep(delay)

    def rate_limited_calls(self) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.rate_limited]

    def script(self, stock_code: str, *faults: str) -> None:
        """Answer the next calls for `stock_code` with these faults ("ok" = a normal answer)."""
        unknown = set(faults) - FAULTS - {"ok"}
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}")
        with self.lock:
            self.faults.setdefault(stock_code, []).extend(faults)

    def historical_calls(self, stock_code: str | None = None) -> list[Call]:
        with self.lock:
            return [
                c
                for c in self.calls
                if c.endpoint == "historicalcharts" and stock_code in (None, c.stock_code)
            ]

    def api_call_times(self) -> list[float]:
        with self.lock:
            return sorted(c.at for c in self.calls)

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def record(self, endpoint: str, stock_code: str | None, query: dict[str, str]) -> str:
        """Count the call's arrival; its scripted fault, or "429" when it is over the limit."""
        self.network_delay()
        with self.lock:
            now = time.time()
            limit = self.rate_limit
            over = limit is not None and limit.calls <= sum(
                1 for c in self.calls if c.at > now - limit.window_seconds
            )
            day = dt.datetime.fromtimestamp(self.clock(), IST).date()
            over_day = self.daily_limit is not None and self.daily_limit <= sum(
                1 for c in self.calls if c.day == day and not c.daily_limited
            )
            self.calls.append(
                Call(endpoint, stock_code, now, query, over, day, daily_limited=over_day)
            )
            if over_day:
                return "daily_limit"
            if over:
                return "429"
            queue = self.faults.get(stock_code or "", [])
            return queue.pop(0) if queue else "ok"


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    @property
    def standin(self) -> StandinBreeze:
        return self.server.standin  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: pytest output stays readable."""

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlparse(self.path)
        if url.path.endswith("/SecurityMaster.zip"):
            self._send(200, self.standin.master, "application/zip")
        elif url.path.endswith("/customerdetails"):
            self._customer_details(body)
        elif url.path.endswith("/historicalcharts"):
            self._historical({k: v[0] for k, v in parse_qs(url.query).items()})
        else:
            self._json(404, {"Success": None, "Status": 404, "Error": "Not found"})

    def _customer_details(self, body: bytes) -> None:
        limited = self.standin.record("customerdetails", None, {})
        if limited in ("429", "daily_limit"):
            self._json(429, DAILY_LIMITED if limited == "daily_limit" else RATE_LIMITED)
            return
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        if request.get("AppKey") != API_KEY:
            self._json(200, {"Success": None, "Status": 401, "Error": "Public Key does not exist."})
        elif self.standin.session_expired:
            self._json(200, {"Success": None, "Status": 401, "Error": "Resource not available."})
        elif request.get("SessionToken") != self.standin.session_token:
            self._json(200, {"Success": None, "Status": 401, "Error": "Invalid session."})
        else:
            token = base64.b64encode(f"{USER_ID}:{SESSION_KEY}".encode()).decode()
            self._json(
                200,
                {
                    "Success": {"session_token": token, "idirect_userid": USER_ID},
                    "Status": 200,
                    "Error": None,
                },
            )

    def _historical(self, query: dict[str, str]) -> None:
        code = query.get("stock_code", "")
        fault = self.standin.record("historicalcharts", code, query)
        expected = base64.b64encode(f"{USER_ID}:{SESSION_KEY}".encode()).decode()
        if fault in ("429", "daily_limit"):
            self._json(429, DAILY_LIMITED if fault == "daily_limit" else RATE_LIMITED)
            return
        if (
            self.headers.get("X-SessionToken") != expected
            or self.headers.get("apikey") != API_KEY
            or fault == "bad_auth"
        ):
            self._json(401, {"Success": None, "Status": 401, "Error": "Session key is expired."})
            return
        if fault == "echo_secret":  # a careless server that quotes the credentials back
            error = f"Invalid request for apikey={self.headers.get('apikey')} token={expected}"
            self._json(500, {"Success": None, "Status": 503, "Error": error})
            return
        if fault == "html500":
            page = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
            self._send(500, page, "text/html")
        elif fault == "empty503":
            self._send(503, b"", "text/plain")
        elif fault == "hang":
            self.standin.stopping.wait(120)  # never answers while the server runs
        elif fault == "empty" or code in NO_DATA_CODES:
            self._json(200, {"Success": [], "Status": 200, "Error": None})
        elif query.get("interval") in INTERVALS:
            # "utc": a server that reads the request's times as UTC, not IST wall-clock.
            zone = "UTC" if fault == "utc" else IST
            first, last = (
                pd.Timestamp(query[name][:19]).tz_localize(zone).tz_convert(IST)
                for name in ("from_date", "to_date")
            )
            rows = self.standin.intraday_candles(code, first, last, query["interval"])
            if fault == "drop_last":  # an answer one candle short at its end (a seam)
                rows = rows[:-1]
            elif fault == "drop_middle":  # one candle short inside the page
                rows = rows[: len(rows) // 2] + rows[len(rows) // 2 + 1 :]
            self._json(200, {"Success": rows, "Status": 200, "Error": None})
        else:
            first = dt.date.fromisoformat(query["from_date"][:10])
            last = dt.date.fromisoformat(query["to_date"][:10])
            rows = candles(code, first, last)
            _apply_data_fault(fault, rows, first)
            body = json.dumps({"Success": rows, "Status": 200, "Error": None}).encode()
            if fault == "truncated_json":
                body = body[: len(body) // 2]
            self._send(200, body, "application/json")

    def _json(self, status: int, payload: object) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        if self.path.split("?")[0].endswith(("/customerdetails", "/historicalcharts")):
            self.standin.network_delay()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _apply_data_fault(fault: str, rows: list[dict[str, object]], first: dt.date) -> None:
    middle = rows[len(rows) // 2]
    if fault == "nan_price":
        middle["close"] = float("nan")
    elif fault == "negative_price":
        middle["low"] = -1.5
    elif fault == "duplicate_dates":
        rows.insert(len(rows) // 2, dict(middle))
    elif fault == "outside_range":
        rows.insert(0, {**rows[0], "datetime": f"{first.year - 2}-06-03 00:00:00"})
    elif fault == "drop_middle":  # a daily answer one session short, inside its span
        rows.remove(middle)
    elif fault == "corrected":  # the source corrected one session's prices since
        middle.update(
            {k: round(float(middle[k]) * 1.01, 2) for k in ("open", "high", "low", "close")}
        )  # type: ignore[arg-type]
    elif fault == "cap":  # more than the cap had to say: cut at the cap, as the real API does
        rows[:] = (rows * (CANDLE_CAP // len(rows) + 1))[:CANDLE_CAP]


SourceFactory = Callable[..., BreezeSource]


def standin_source(server: StandinBreeze, cache_dir: Path, **overrides: Any) -> BreezeSource:
    """A BreezeSource on the stand-in server, with test-scale timeouts and no back-off delay."""
    settings: dict[str, Any] = {
        "api_key": API_KEY,
        "api_secret": API_SECRET,
        "session_token": SESSION_TOKEN,
        "api_url": server.api_url,
        "historical_url": server.historical_url,
        "security_master_url": server.security_master_url,
        "cache_dir": str(cache_dir),
        "request_timeout_seconds": 5,
        "session_timeout_seconds": 10,
        "max_retries": 2,
        "backoff_seconds": 0,
        "max_backoff_seconds": 0,
        "daily_reserve": 0,  # tests of the reserve set it; the others count every call alike
        **overrides,
    }
    return BreezeSource(**settings)
