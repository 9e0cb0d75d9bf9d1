"""Fixtures: the process-wide stand-in Breeze server and BreezeSources pointed at it."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets_tests.support.standin_breeze import (
    SourceFactory,
    StandinBreeze,
    standin_source,
)


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
