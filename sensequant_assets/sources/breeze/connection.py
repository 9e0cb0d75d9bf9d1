"""A logged-in Breeze client and the calls made with it.

The client logs in once per process with the day's session token (the one `sensequant
breeze-session` stored, read at every login, else BREEZE_SESSION_TOKEN) and again when the
operator stores another; a token Breeze already refused fails at once, without a call
(`session.py`). Every call passes the `CallPolicy`, and every message that leaves is scrubbed of
the credentials, which are only ever sent to breeze_connect.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sensequant_assets.market.calendar import IST
from sensequant_assets.secrets import scrub
from sensequant_assets.sources.base import AlreadyReportedAuthError
from sensequant_assets.sources.breeze.answer_kinds import Answer, classify_historical
from sensequant_assets.sources.breeze.calls import CallPolicy, Stats
from sensequant_assets.sources.breeze.client import load_breeze, point_at
from sensequant_assets.sources.breeze.errors import BreezeAuthError, BreezeError
from sensequant_assets.sources.breeze.limiter import CallKind
from sensequant_assets.sources.breeze.session import (
    SessionTokenError,
    mark_refused,
    read_token,
    refused,
    stored_at,
)

SESSION_TOKEN_HELP = (
    "The Breeze session token expires every day (around midnight IST): log in at "
    "https://api.icicidirect.com/apiuser/login?api_key=<your app key>, then hand the new "
    "session token to the running deployment with `sensequant breeze-session` (no restart; "
    "or set BREEZE_SESSION_TOKEN) and re-run what failed."
)


def _logged_in(_: object) -> Answer:
    """breeze_connect's login answers nothing to classify: it raises when refused."""
    return Answer("success", "session created")


@dataclass
class BreezeConnection:
    """Who this installation is to Breeze, and the client logged in as it in this process."""

    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    session_token: str = field(repr=False)
    """BREEZE_SESSION_TOKEN, used where no token file was written."""
    secrets_dir: str
    """Folder of the stored token file; empty: the variable only."""
    api_url: str
    historical_url: str
    security_master_url: str
    work_dir: Path
    """breeze_connect's own files (SecurityMaster, logs)."""
    session_timeout_seconds: float
    calls: CallPolicy
    _breeze: Any = field(default=None, repr=False)
    _module: Any = field(default=None, repr=False)
    _token: str = field(default="", repr=False)
    """The session token `_breeze` logged in with."""

    def client(self, stats: Stats) -> Any:
        """A logged-in BreezeConnect for this process, created on first use and again when the
        operator stored another token since. A token Breeze already refused fails at once."""
        token = self._current_token()
        if self._breeze is None or token != self._token:
            self._check_credentials(token)
            self._breeze, self._token = None, token
            self._refuse_known(token)
            module = load_breeze(
                self.security_master_url, self.work_dir, self.calls.timeout_seconds
            )
            point_at(module, self.api_url, self.historical_url, self.security_master_url)
            breeze = module.BreezeConnect(api_key=self.api_key)
            answer = self.calls.call(
                f"Breeze login (customerdetails at {self.api_url})",
                lambda: breeze.generate_session(api_secret=self.api_secret, session_token=token),
                _logged_in,
                stats,
                counter="session_calls",
                scrub=self.scrub,
                timeout=self.session_timeout_seconds,
            )
            if answer.kind != "success":
                raise self.failure(answer, f"Breeze login at {self.api_url}")
            self._breeze, self._module = breeze, module
        # breeze reads its URLs from module state at call time: re-point them for this resource.
        point_at(self._module, self.api_url, self.historical_url, self.security_master_url)
        return self._breeze

    def historical(
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
        breeze = self.client(stats)
        answer = self.calls.call(
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
            scrub=self.scrub,
            kind=kind,
        )
        if answer.kind not in ("success", "no_data"):
            raise self.failure(answer, where)
        return list(answer.payload["Success"]) if answer.kind == "success" else []

    def failure(self, answer: Answer, what: str) -> BreezeError | AlreadyReportedAuthError:
        """The exception for a final, unusable answer, scrubbed and without the client's chain.
        A refused session token is recorded; only the first run to meet it says so loudly."""
        if answer.kind != "auth_failure":
            return self.calls.failure(answer, what, self.scrub)
        detail = answer.message
        if "api key" in detail.lower() or "public key" in detail.lower():
            hint = "Check BREEZE_API_KEY (the app key from ICICI's API portal)."
            return BreezeAuthError(self.scrub(f"{what}: credentials refused ({detail}). {hint}"))
        message = self.scrub(
            f"{what}: session token{self._token_origin()} refused ({detail}). {SESSION_TOKEN_HELP}"
        )
        if self.secrets_dir and not mark_refused(Path(self.secrets_dir), self._token, message):
            return AlreadyReportedAuthError(message)
        return BreezeAuthError(message)

    def scrub(self, text: str) -> str:
        """`text` without any credential, the logged-in client's session keys included."""
        secrets = [self.api_key, self.api_secret, self.session_token, self._token]
        if self._breeze is not None:
            handler = getattr(self._breeze, "api_handler", None)
            secrets += [self._breeze.session_key, getattr(handler, "base64_session_token", None)]
        return scrub(text, secrets)

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
            f"{SESSION_TOKEN_HELP}"
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
                f"Breeze credentials missing: set {', '.join(missing)}. {SESSION_TOKEN_HELP}"
                if "BREEZE_SESSION_TOKEN" in missing
                else f"Breeze credentials missing: set {', '.join(missing)}."
            )
