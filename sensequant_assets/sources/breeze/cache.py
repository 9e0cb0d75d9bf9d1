"""Raw Breeze answers on disk, so that a finished year or intraday page is paid for once.

An entry is the exact answer plus a SHA-256 of it and the moment it was fetched. A year is final
only once it has ended in IST: an entry fetched after that is reused forever, anything fetched
earlier (the current, still-open year) is fetched again. An entry that does not parse or whose
checksum does not match is reported as corrupt and refetched, never loaded. An empty answer is an
entry like any other, so a closed year that has no candles is asked once, and the entry says when.
One entry holds one year, whether its call asked for that year alone or for several. Writes go to a
temporary file renamed into place, so a killed run leaves the old entry or the new one.

Intraday pages are entries of their own, keyed by ISEC code, interval and the page's first and
last candle: a page is final once its last candle's session has closed when it was fetched. A
backfill stopped by the daily budget finds every page it finished here the next day.
"""

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sensequant_assets.market.calendar import IST, NSE_CLOSE
from sensequant_assets.paths import inside, remove_inside

CacheState = Literal["hit", "miss", "stale", "corrupt"]


@dataclass(frozen=True)
class CacheLookup:
    state: CacheState
    payload: Any = None
    detail: str = ""
    fetched_at: dt.datetime | None = None


def year_is_final(year: int, fetched_at: dt.datetime) -> bool:
    """Whether an answer fetched at `fetched_at` can hold the whole of `year`."""
    return fetched_at.astimezone(IST).date() > dt.date(year, 12, 31)


def page_is_final(last_candle_end: pd.Timestamp, fetched_at: dt.datetime) -> bool:
    """Whether a page fetched at `fetched_at` holds its last candle's whole session (IST)."""
    close = pd.Timestamp(dt.datetime.combine(last_candle_end.date(), NSE_CLOSE), tz=IST)
    return pd.Timestamp(fetched_at) >= max(close, last_candle_end)


def _safe(isec_code: str) -> str:
    """The code as a file name's part: letters and digits, anything else `_`."""
    return "".join(c if c.isalnum() else "_" for c in isec_code)


def _checksum(payload_text: str) -> str:
    return hashlib.sha256(payload_text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AnswerCache:
    root: Path
    namespace: str
    """Which server the answers came from (a hash of its URL): replay and live never mix."""

    @classmethod
    def for_server(cls, root: Path, server_url: str) -> "AnswerCache":
        return cls(root, hashlib.sha256(server_url.encode("utf-8")).hexdigest()[:12])

    def path(self, isec_code: str, year: int, interval: str) -> Path:
        return self._path(isec_code, interval, str(year))

    def page_path(
        self, isec_code: str, interval: str, first: pd.Timestamp, last: pd.Timestamp
    ) -> Path:
        return self._path(isec_code, interval, f"{first:%Y%m%dT%H%M}-{last:%Y%m%dT%H%M}")

    def _path(self, isec_code: str, interval: str, key: str) -> Path:
        entry = self._folder(interval) / f"{_safe(isec_code)}_{key}.json"
        return inside(self.root, entry)  # an interval from settings names no folder outside

    def _folder(self, interval: str) -> Path:
        return self.root / "answers" / self.namespace / interval

    def load(self, isec_code: str, year: int, interval: str) -> CacheLookup:
        return self._load(
            self.path(isec_code, year, interval),
            lambda fetched_at: year_is_final(year, fetched_at),
            "year still open",
        )

    def load_page(
        self,
        isec_code: str,
        interval: str,
        first: pd.Timestamp,
        last: pd.Timestamp,
        last_candle_end: pd.Timestamp,
    ) -> CacheLookup:
        return self._load(
            self.page_path(isec_code, interval, first, last),
            lambda fetched_at: page_is_final(last_candle_end, fetched_at),
            "its last session had not closed",
        )

    def _load(
        self, path: Path, is_final: Callable[[dt.datetime], bool], open_note: str
    ) -> CacheLookup:
        if not path.exists():
            return CacheLookup("miss")
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            payload_text = entry["payload"]
            if _checksum(payload_text) != entry["sha256"]:
                return CacheLookup("corrupt", detail=f"{path}: checksum mismatch")
            fetched_at = dt.datetime.fromisoformat(entry["fetched_at"])
            payload = json.loads(payload_text)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            return CacheLookup("corrupt", detail=f"{path}: {type(exc).__name__}: {exc}")
        if not is_final(fetched_at):
            return CacheLookup("stale", detail=f"fetched {fetched_at.isoformat()}, {open_note}")
        return CacheLookup("hit", payload, fetched_at=fetched_at)

    def store(
        self, isec_code: str, year: int, interval: str, payload: Any, fetched_at: dt.datetime
    ) -> Path:
        path = self.path(isec_code, year, interval)
        return _write(
            path, {"isec_code": isec_code, "year": year, "interval": interval}, payload, fetched_at
        )

    def discard(self, isec_code: str, year: int, interval: str) -> bool:
        """Forget a year's entry, as when the warehouse refused it: the next run asks again."""
        return remove_inside(self.root, self.path(isec_code, year, interval))

    def discard_pages(self, isec_code: str, interval: str, month: dt.date) -> int:
        """Forget every page of `month` (each starts in it), as when the warehouse refused the
        month: the next run asks for each again. How many were forgotten."""
        pattern = f"{_safe(isec_code)}_{month:%Y%m}[0-3][0-9]T*.json"
        return sum(remove_inside(self.root, path) for path in self._folder(interval).glob(pattern))

    def store_page(
        self,
        isec_code: str,
        interval: str,
        first: pd.Timestamp,
        last: pd.Timestamp,
        payload: Any,
        fetched_at: dt.datetime,
    ) -> Path:
        path = self.page_path(isec_code, interval, first, last)
        key = {
            "isec_code": isec_code,
            "page": [first.isoformat(), last.isoformat()],
            "interval": interval,
        }
        return _write(path, key, payload, fetched_at)


def _write(path: Path, key: dict[str, Any], payload: Any, fetched_at: dt.datetime) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload_text = json.dumps(payload, sort_keys=True, allow_nan=True)
    entry = {
        **key,
        "fetched_at": fetched_at.isoformat(),
        "sha256": _checksum(payload_text),
        "payload": payload_text,
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(entry, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        remove_inside(path.parent, Path(tmp))
        raise
    return path
