"""Loading the real breeze_connect client without letting its import-time habits leak.

`import breeze_connect` downloads SecurityMaster.zip with no timeout from a URL in its top-level
`config` module, creates `./logs/` with two DEBUG log files in the current directory, and has no
timeouts on any call. Here the archive is fetched first, with a timeout, from the configured URL;
breeze's own `config` is registered before the import and pointed at that local copy; the import
runs with the cache folder as working directory so the logs land there; and every call runs on a
worker thread that is abandoned when its time is up.

A proxy the environment names (HTTP(S)_PROXY) cannot reach a server on this machine (a stand-in,
an SSH tunnel), so calls to a loopback host go direct. breeze_connect calls requests' module
functions (`requests.get`: a session of its own per call), so it is given its own `requests`
whose calls say so per request (`LoopbackDirect`); the process's environment (NO_PROXY) is never
changed, and every other client in the process keeps its proxies as configured.
"""

import importlib.util
import ipaddress
import os
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sensequant_assets.paths import remove_inside
from sensequant_assets.sources.breeze.errors import BreezeError

T = TypeVar("T")

NSE_SCRIP_MASTER = "NSEScripMaster.txt"
_IMPORT_LOCK = threading.Lock()
_loaded_master_url: str | None = None


class CallTimeoutError(TimeoutError):
    """The server did not answer in time; the worker thread was left behind."""


def call_with_timeout(timeout: float, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `fn` on a daemon thread and give up on it after `timeout` seconds.

    breeze_connect passes no timeout to requests, so a hung server would block forever. A daemon
    thread (not a thread pool, whose workers are joined at exit) cannot keep the process alive.
    """
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="breeze-call", daemon=True).start()
    if not done.wait(timeout):
        raise CallTimeoutError(f"no answer within {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def load_breeze(security_master_url: str, work_dir: Path, timeout: float) -> ModuleType:
    """Import `breeze_connect.breeze_connect` once per process, from the given SecurityMaster."""
    global _loaded_master_url
    with _IMPORT_LOCK:
        module = sys.modules.get("breeze_connect.breeze_connect")
        if module is not None:
            if _loaded_master_url not in (None, security_master_url):
                raise BreezeError(
                    f"breeze_connect was already loaded in this process with the SecurityMaster "
                    f"from {_loaded_master_url}; symbol lookups against {security_master_url} "
                    "would use the wrong file. Use one security_master_url per process."
                )
            return module
        work_dir.mkdir(parents=True, exist_ok=True)
        archive = _download_security_master(security_master_url, work_dir, timeout)
        try:
            config = _register_breeze_config()
            config.SECURITY_MASTER_URL = archive.as_uri()
            previous_cwd = os.getcwd()
            os.chdir(work_dir)  # breeze creates ./logs/ at import; keep it out of the user's cwd
            try:
                import breeze_connect.breeze_connect as module
            finally:
                os.chdir(previous_cwd)
        finally:
            remove_inside(work_dir, archive)
        module.requests = LoopbackDirect(module.requests)
        config.SECURITY_MASTER_URL = security_master_url
        _loaded_master_url = security_master_url
        return module


def point_at(module: ModuleType, api_url: str, historical_url: str, master_url: str) -> None:
    """Set the URLs breeze reads at call time (its live settings object is `module.config`)."""
    module.config.API_URL = api_url
    module.config.BREEZE_NEW_URL = historical_url
    module.config.SECURITY_MASTER_URL = master_url


def is_loopback(url: str) -> bool:
    """Whether `url` names this machine (localhost, 127.0.0.0/8, ::1)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LoopbackDirect:
    """`requests` as breeze_connect uses it (`get`, `post`, `put`, `delete` and the module's
    names), except that a request to a loopback host goes past the environment's proxies: its own
    `proxies` maps every scheme to none, which requests then leaves out of that one request."""

    def __init__(self, requests: ModuleType) -> None:
        self._requests = requests

    def __getattr__(self, name: str) -> Any:
        return getattr(self._requests, name)

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        if is_loopback(url):
            kwargs.setdefault("proxies", {"http": None, "https": None})
        return self._requests.request(method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.request("DELETE", url, **kwargs)


def _download_security_master(url: str, work_dir: Path, timeout: float) -> Path:
    import requests

    try:
        response = LoopbackDirect(requests).get(url, timeout=timeout)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise BreezeError(
            f"Could not download ICICI's SecurityMaster from {url} ({type(exc).__name__}: {exc}); "
            "breeze_connect needs it for every symbol lookup. Check the network or "
            "security_master_url."
        ) from None
    fd, name = tempfile.mkstemp(dir=work_dir, prefix="SecurityMaster-", suffix=".zip")
    with os.fdopen(fd, "wb") as handle:
        handle.write(response.content)
    path = Path(name)
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        remove_inside(work_dir, path)
        raise BreezeError(
            f"{url} did not return a zip archive; check security_master_url."
        ) from None
    if NSE_SCRIP_MASTER not in names:
        remove_inside(work_dir, path)
        raise BreezeError(f"{url} holds no {NSE_SCRIP_MASTER} (found {names}).")
    return path


def _register_breeze_config() -> ModuleType:
    """Load breeze's `config.py` under the top-level name its module imports it by."""
    spec = importlib.util.find_spec("breeze_connect")
    if spec is None or not spec.submodule_search_locations:
        raise BreezeError(
            "breeze-connect is not installed; install the project (pip install -e .), "
            "which pins breeze-connect==1.0.69."
        )
    config_file = Path(next(iter(spec.submodule_search_locations))) / "config.py"
    existing = sys.modules.get("config")
    if existing is not None:
        if Path(getattr(existing, "__file__", "") or "").resolve() != config_file.resolve():
            raise BreezeError(
                f"A module named 'config' ({getattr(existing, '__file__', existing)!r}) is already "
                "imported; breeze_connect imports its settings under that same top-level name. "
                "Rename that module."
            )
        return existing
    config_spec = importlib.util.spec_from_file_location("config", config_file)
    if config_spec is None or config_spec.loader is None:
        raise BreezeError(f"Cannot load breeze_connect settings from {config_file}")
    config = importlib.util.module_from_spec(config_spec)
    sys.modules["config"] = config
    config_spec.loader.exec_module(config)
    return config
