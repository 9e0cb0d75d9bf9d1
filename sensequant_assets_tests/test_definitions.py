"""Every definition loads, for every source, with placeholder environment variables."""

import importlib
import subprocess
import sys

import dagster as dg
import pytest

from sensequant_assets.ingestion.resources import bar_source_from_env
from sensequant_assets.paths import REPO_ROOT

PLACEHOLDERS = {
    "BREEZE_API_KEY": "placeholder-key",
    "BREEZE_API_SECRET": "placeholder-secret",
    "BREEZE_SESSION_TOKEN": "placeholder-token",
}


@pytest.mark.parametrize("source", ["synthetic", "csv", "breeze"])
def test_definitions_load_for_each_source(monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    for name, value in {**PLACEHOLDERS, "SENSEQUANT_SOURCE": source}.items():
        monkeypatch.setenv(name, value)
    module = importlib.reload(importlib.import_module("sensequant_assets.definitions"))
    defs: dg.Definitions = module.defs
    dg.Definitions.validate_loadable(defs)
    assert set(defs.resolve_all_asset_keys()) >= {
        dg.AssetKey(name) for name in ("symbol_mapping", "daily_bars")
    }
    assert (
        type(bar_source_from_env()).__name__
        == {"synthetic": "SyntheticSource", "csv": "LegacyCsvSource", "breeze": "BreezeSource"}[
            source
        ]
    )


def test_unknown_source_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="SENSEQUANT_SOURCE='bloomberg' is not one of"):
        bar_source_from_env({"SENSEQUANT_SOURCE": "bloomberg"})


def test_importing_the_code_location_never_imports_breeze_connect() -> None:
    """breeze_connect downloads a file at import; offline, an eager import would break loading."""
    code = (
        "import sys, sensequant_assets.definitions; "
        "sys.exit(1 if 'breeze_connect' in sys.modules else 0)"
    )
    env = {"SENSEQUANT_SOURCE": "breeze", **PLACEHOLDERS, "PATH": ""}
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env).returncode == 0
