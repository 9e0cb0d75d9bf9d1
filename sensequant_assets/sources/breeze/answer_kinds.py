"""What kind each Breeze answer is, decided in one place.

breeze_connect ignores HTTP status codes: a 429 or a 401 comes back as a dict, a non-JSON body (an
HTML 502 page, an empty 503, a truncated body) or a refused connection comes back as a plain
`Exception`, and its own argument checks answer `{"Status": 500, "Error": ...}` without any HTTP
call. The original scripts read all of that as "no data". Here every answer gets exactly one kind,
and only the kinds that can get better by waiting are retried.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

AnswerKind = Literal[
    "success", "no_data", "not_found", "auth_failure", "rate_limited", "transient", "rejected"
]
RETRYABLE: frozenset[AnswerKind] = frozenset({"rate_limited", "transient"})

NOT_FOUND_TEXT = "result not found"
_AUTH_PATTERN = re.compile(
    r"authenticat|session key|session token|invalid session|session.*expired|expired.*session"
    r"|public key|api key|unauthori[sz]ed|invalid user|forbidden",
    re.IGNORECASE,
)
_RATE_PATTERN = re.compile(r"rate limit|too many|limit exceeded|throttl", re.IGNORECASE)
# The wording of breeze_connect's own argument checks (config.ResponseMessage).
_CLIENT_CHECK_PATTERN = re.compile(r"cannot be empty|should be|not allowed", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    """One classified answer; `message` is safe to show once scrubbed of secrets."""

    kind: AnswerKind
    message: str
    payload: Any = None

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


def classify_historical(raw: object) -> Answer:
    """Classify what `get_historical_data_v2` returned: HTTP errors come back as dicts."""
    if not isinstance(raw, Mapping):
        return Answer("transient", f"answer is not a JSON object: {_short(raw)}")
    status = _status(raw.get("Status"))
    error = str(raw.get("Error") or "").strip()
    success = raw.get("Success")
    if status == 200 and not error:
        if isinstance(success, list):
            return Answer("success" if success else "no_data", f"{len(success)} candles", raw)
        if success is None or success == "":
            return Answer("no_data", "Success is empty", raw)
        return Answer("rejected", f"Success is not a list of candles: {_short(success)}", raw)
    return _classify_error(status, error or f"Status {status} without an Error text", raw)


def classify_exception(exc: BaseException) -> Answer:
    """Classify what breeze_connect raised; its exceptions carry no type, only text."""
    text = f"{type(exc).__name__}: {exc}"
    if _AUTH_PATTERN.search(str(exc)):
        return Answer("auth_failure", text)
    if _RATE_PATTERN.search(str(exc)):
        return Answer("rate_limited", text)
    # Non-JSON bodies (HTML error pages, empty 503s, truncated JSON), refused or reset
    # connections and timeouts all surface here; none of them says the request itself was wrong.
    return Answer("transient", text)


def classify_names(raw: object, nse_ticker: str) -> Answer:
    """Classify a `get_names` answer; several matching rows come back garbled and are refused."""
    if not isinstance(raw, Mapping):
        return Answer("rejected", f"get_names answered {_short(raw)}")
    if "isec_stock_code" not in raw:
        error = str(raw.get("Error") or "").strip()
        return _classify_error(_status(raw.get("Status")), error or _short(raw), raw)
    exchange_code = str(raw.get("exchange_stock_code", "")).strip()
    isec_code = str(raw.get("isec_stock_code", "")).strip()
    token = str(raw.get("isec_token", "")).strip()
    if exchange_code != nse_ticker.upper() or not token.isdigit() or not isec_code:
        return Answer(
            "rejected",
            f"ambiguous SecurityMaster match for {nse_ticker!r}: several rows (or a row matched "
            f"by ICICI short name instead of NSE symbol) gave exchange code {exchange_code!r}, "
            f"ISEC code {isec_code!r}, token {token!r}",
            raw,
        )
    return Answer("success", f"{nse_ticker} -> {isec_code}", raw)


def _classify_error(status: int | None, error: str, raw: object) -> Answer:
    if NOT_FOUND_TEXT in error.lower():
        return Answer("not_found", error, raw)
    if status in (401, 403) or _AUTH_PATTERN.search(error):
        return Answer("auth_failure", error, raw)
    if status == 429 or _RATE_PATTERN.search(error):
        return Answer("rate_limited", error, raw)
    # Status 500 is also what the client's own argument checks return, without an HTTP call:
    # retrying a request the client refuses would only burn the rate limit.
    if status is not None and status >= 500 and not _CLIENT_CHECK_PATTERN.search(error):
        return Answer("transient", f"Status {status}: {error}", raw)
    return Answer("rejected", f"Status {status}: {error}", raw)


def _status(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _short(value: object, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
