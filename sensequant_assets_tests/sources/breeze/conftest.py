"""Fixtures: the process-wide stand-in Breeze server and BreezeSources pointed at it."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sensequant_assets.sources.breeze.source import BreezeSource

from .standin_server import API_KEY, API_SECRET, SESSION_TOKEN, StandinBreeze

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


@pytest.fixture
def breeze_server() -> Iterator[StandinBreeze]:
    server = StandinBreeze.shared()
    server.reset()
    yield server
    server.reset()


@pytest.fixture
def make_source(breeze_server: StandinBreeze, tmp_path: Path) -> SourceFactory:
    def make(**overrides: Any) -> BreezeSource:
        return standin_source(breeze_server, tmp_path / "breeze-cache", **overrides)

    return make


@pytest.fixture
def breeze_source(make_source: SourceFactory) -> BreezeSource:
    return make_source()
