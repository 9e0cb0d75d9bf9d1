"""One scrubber for every secret, in every form a message can carry it.

A password or token rarely reaches a message raw: libpq quotes it into a connection string
(`\\'` and `\\\\`), SQL doubles its quotes around that, a URL percent-encodes it, JSON and Python
reprs escape it, and an alert line folds its whitespace. `encodings` lists each of these forms,
so `scrub` removes a secret whatever characters it holds; `redact_url` shows a webhook or
endpoint as `scheme://host/…`, since its path, query and user part are the credential of most
chat webhooks.
"""

import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote, urlsplit

PLACEHOLDER = "***"
MIN_SECRET = 4
"""Shorter values are not scrubbed: replacing every "ab" in a message would garble it and hide
nothing a guess could not find."""


def libpq_quote(value: str) -> str:
    """`value` as a libpq connection-string keyword value: quoted, `\\` and `'` escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sql_quote(value: str) -> str:
    """`value` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def encodings(secret: str) -> set[str]:
    """Every form of `secret` a message may hold: raw, libpq-escaped, SQL-quoted (and both, as
    in an ATTACH statement), URL-encoded, JSON- and repr-escaped, whitespace-folded."""
    libpq = libpq_quote(secret)[1:-1]
    forms = {
        secret,
        libpq,
        secret.replace("'", "''"),
        libpq.replace("'", "''"),
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        " ".join(secret.split()),
    }
    return {form for form in forms if len(form) >= MIN_SECRET}


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every form of every secret replaced by `***`, longest first (so a secret that
    contains another is removed whole)."""
    forms = {form for secret in secrets if secret for form in encodings(secret)}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, PLACEHOLDER)
    return text


def url_secrets(url: str) -> list[str]:
    """The parts of `url` that can be a credential: the whole, its user part (and password),
    path, query and fragment, each also percent-decoded, as an HTTP client may quote them."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    raw = [url, userinfo, userinfo.partition(":")[2], parts.path, parts.query, parts.fragment]
    return raw + [unquote(part) for part in raw]


def redact_url(url: str) -> str:
    """`url` as messages may show it: `scheme://host/…`, never its user part, path or query."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is no number: not shown
        port = ""
    return f"{parts.scheme or '?'}://{parts.hostname or '?'}{port}/…"
