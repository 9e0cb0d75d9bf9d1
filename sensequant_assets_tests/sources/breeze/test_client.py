"""The Breeze client reaches a server on this machine past the environment's proxies without
changing the process's environment: before, loading it added 127.0.0.1 and localhost to NO_PROXY
for the whole process, and a loopback call made once the client was loaded went to the proxy."""

import os
import socket
from collections.abc import Iterator

import pytest
import requests

from sensequant_assets.sources.breeze.client import LoopbackDirect, is_loopback
from sensequant_assets_tests.support.standin_breeze import StandinBreeze

from .conftest import SourceFactory


@pytest.fixture
def dead_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every proxy variable names a port nothing listens on; NO_PROXY names nothing."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{probe.getsockname()[1]}"
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, proxy)
    yield proxy


def test_the_client_reaches_the_stand_in_past_a_proxy_and_leaves_the_environment_alone(
    dead_proxy: str, make_source: SourceFactory, breeze_server: StandinBreeze
) -> None:
    before = dict(os.environ)
    mapping = make_source().lookup("TCS", "TCS")
    assert mapping.isec_code and mapping.error is None
    assert breeze_server.api_call_times()  # it did talk to the stand-in
    assert dict(os.environ) == before
    # Any other client in the process still goes through the proxy it was given.
    with pytest.raises(requests.exceptions.ProxyError):
        requests.get(breeze_server.base_url, timeout=5)


def test_only_loopback_hosts_go_direct() -> None:
    assert all(map(is_loopback, ["http://127.0.0.1:1/", "http://localhost/x", "http://[::1]/"]))
    assert not any(
        map(is_loopback, ["https://api.icicidirect.com/x", "http://10.0.0.1/", "file:///tmp/a"])
    )


def test_a_call_keeps_the_proxies_it_was_given(dead_proxy: str) -> None:
    """breeze_connect passes none; were it to, its own choice would stand."""
    with pytest.raises(requests.exceptions.ProxyError):
        LoopbackDirect(requests).get("http://127.0.0.1:1/", proxies={"http": dead_proxy}, timeout=5)
