"""The day's Breeze session token, kept where secrets belong and read by every run when it starts.

ICICI's session token expires every day. An operator hands in the new one once
(`sensequant breeze-session`); it is written to a file only its owner can read (0600, in a 0700
folder outside the instance and the warehouse), and every later run of a running deployment reads
it when it logs in, so no process restarts. `BREEZE_SESSION_TOKEN` is the fallback where no file
was written.

A token Breeze refuses is remembered by its fingerprint (a hash prefix, never the token) in a
marker file beside it: the first run that meets it fails with the error and the alert; the runs
after it fail at once, without a call, with an error the alerts sensor knows was already sent,
so a morning's expired token costs one login and raises one alert, however many runs and
partitions would have used it. A new token has another fingerprint, so it is tried afresh.
"""

import datetime as dt
import hashlib
import json
import os
import tempfile
from pathlib import Path

from sensequant_assets.paths import remove_inside

TOKEN_FILE = "breeze_session_token"
REFUSED_PREFIX = f"{TOKEN_FILE}.refused-"
MAX_TOKEN_LENGTH = 512


class SessionTokenError(ValueError):
    """A token that cannot be a Breeze session token (empty, several lines, spaces, too long)."""


def clean_token(text: str) -> str:
    """The token in `text` (surrounding whitespace and one trailing newline dropped), refused
    when it cannot be one, so a pasted sentence or two tokens never reach the file."""
    token = text.strip()
    if not token:
        raise SessionTokenError("no session token given: paste the one ICICI's login page shows")
    if len(token) > MAX_TOKEN_LENGTH or any(c.isspace() or not c.isprintable() for c in token):
        raise SessionTokenError(
            "that is not a Breeze session token (it holds spaces, line breaks or control "
            f"characters, or is over {MAX_TOKEN_LENGTH} characters): paste only the token"
        )
    return token


def fingerprint(token: str) -> str:
    """Which token, without saying it: 16 hex digits of its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def write_token(folder: Path, token: str) -> Path:
    """Store `token` as the one every later run uses: owner-only, replaced whole (a run reading
    at that moment sees the old token or the new one, never half), earlier refusals forgotten."""
    token = clean_token(token)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    fd, name = tempfile.mkstemp(dir=folder, prefix=f".{TOKEN_FILE}.")  # created 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(token + "\n")
        os.replace(name, folder / TOKEN_FILE)
    except BaseException:
        remove_inside(folder, Path(name))
        raise
    for marker in folder.glob(f"{REFUSED_PREFIX}*"):
        remove_inside(folder, marker)
    return folder / TOKEN_FILE


def read_token(folder: Path) -> str | None:
    """The stored token, or None where none was written. A file others may read is refused:
    the token would have leaked already, and using it would hide that."""
    path = folder / TOKEN_FILE
    try:
        mode = path.stat().st_mode
        text = path.read_text()
    except FileNotFoundError:
        return None
    if mode & 0o077:
        raise SessionTokenError(
            f"{path} can be read by other users (mode {mode & 0o777:o}); a session token must be "
            "owner-only: store it again with `sensequant breeze-session` (writes it 0600)"
        )
    return clean_token(text)


def stored_at(folder: Path) -> dt.datetime | None:
    """When the stored token was written (UTC), for messages; None where there is none."""
    try:
        return dt.datetime.fromtimestamp((folder / TOKEN_FILE).stat().st_mtime, dt.UTC)
    except FileNotFoundError:
        return None


def mark_refused(folder: Path, token: str, reason: str) -> bool:
    """Record that Breeze refused `token`. True for the one caller that recorded it first (its
    failure is the one alerted), False where another run already had."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    marker = folder / f"{REFUSED_PREFIX}{fingerprint(token)}"
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with os.fdopen(fd, "w") as handle:
        json.dump({"refused_at": when, "reason": reason}, handle)
    return True


def refused(folder: Path, token: str) -> dict[str, str] | None:
    """When and why Breeze refused `token` before (the marker's record), else None."""
    marker = folder / f"{REFUSED_PREFIX}{fingerprint(token)}"
    try:
        return json.loads(marker.read_text() or "{}")
    except FileNotFoundError:
        return None
    except ValueError:  # a marker being written this instant: refused, details to follow
        return {"refused_at": "just now", "reason": "refused"}
