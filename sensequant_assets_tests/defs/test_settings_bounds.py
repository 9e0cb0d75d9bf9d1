"""A setting out of its bounds stops the code location from loading, naming its variable.

Before, `BREEZE_RATE_MARGIN_PERCENT=-100` let every call of a window out at one instant, a
calls-per-minute of 0 or less became 1 per window, a timeout of 0 failed every call after
sending it, and an unknown warehouse backend was refused only at the first connection. Each row
of docs/operations.md's bounds table is loaded here out of bounds (both sides where there are
two) and in bounds.
"""

import re

import pytest

from sensequant_assets.definitions import defs
from sensequant_assets.paths import REPO_ROOT
from sensequant_assets.settings import SettingError

CREDENTIALS = {
    "BREEZE_API_KEY": "placeholder-key",
    "BREEZE_API_SECRET": "placeholder-secret",
    "BREEZE_SESSION_TOKEN": "placeholder-token",
    "SENSEQUANT_SOURCE": "breeze",
}

REFUSED = [
    ("BREEZE_RATE_MARGIN_PERCENT", "-100"),
    ("BREEZE_RATE_MARGIN_PERCENT", "101"),
    ("BREEZE_CALLS_PER_MINUTE", "0"),
    ("BREEZE_CALLS_PER_MINUTE", "-5"),
    ("BREEZE_CALLS_PER_MINUTE", "ten"),
    ("BREEZE_CALLS_PER_DAY", "0"),
    ("BREEZE_DAILY_RESERVE", "-1"),
    ("BREEZE_TIMEOUT_SECONDS", "0"),
    ("BREEZE_TIMEOUT_SECONDS", "3601"),
    ("BREEZE_SESSION_TIMEOUT_SECONDS", "0"),
    ("BREEZE_MAX_RETRIES", "-1"),
    ("BREEZE_MAX_RETRIES", "21"),
    ("BREEZE_BACKOFF_SECONDS", "-1"),
    ("BREEZE_MAX_BACKOFF_SECONDS", "-1"),
    ("BREEZE_REFETCH_EMPTY_YEARS", "perhaps"),
    ("SENSEQUANT_WAREHOUSE_BACKEND", "postgres"),
    ("DAGSTER_PG_PORT", "0"),
    ("DAGSTER_PG_PORT", "65536"),
    ("SENSEQUANT_INTRADAY_INTERVAL", "2minute"),
    ("SENSEQUANT_ALERTS_WEBHOOK", "hooks.example.com/x"),
]

ACCEPTED = {
    "BREEZE_RATE_MARGIN_PERCENT": "0",
    "BREEZE_CALLS_PER_MINUTE": "1",
    "BREEZE_CALLS_PER_DAY": "1",
    "BREEZE_DAILY_RESERVE": "0",
    "BREEZE_TIMEOUT_SECONDS": "3600",
    "BREEZE_MAX_RETRIES": "0",
    "SENSEQUANT_WAREHOUSE_BACKEND": "ducklake",
    "DAGSTER_PG_PORT": "65535",
    "SENSEQUANT_INTRADAY_INTERVAL": "5minute",
    "SENSEQUANT_ALERTS_WEBHOOK": "https://hooks.example.com/x",
}


def _setting_error(exc: BaseException | None) -> SettingError | None:
    """The SettingError behind whatever Dagster wrapped it in."""
    while exc is not None and not isinstance(exc, SettingError):
        exc = exc.__cause__ or exc.__context__
    return exc


@pytest.mark.parametrize(("variable", "value"), REFUSED, ids=[f"{v}={x}" for v, x in REFUSED])
def test_a_value_out_of_bounds_fails_the_load_naming_its_variable(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, held in {**CREDENTIALS, variable: value}.items():
        monkeypatch.setenv(name, held)
    with pytest.raises(Exception) as raised:  # Dagster may wrap it
        defs()
    error = _setting_error(raised.value)
    assert error is not None, raised.value
    assert str(error).startswith(f"{variable}") and "docs/operations.md" in str(error)


def test_values_within_bounds_load(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, held in {**CREDENTIALS, **ACCEPTED}.items():
        monkeypatch.setenv(name, held)
    resources = defs().resources
    assert set(resources) >= {"bar_source", "warehouse", "alerts", "intraday"}


def test_the_operations_table_lists_every_refused_variable() -> None:
    operations = (REPO_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    table = operations.split("## Settings and their bounds", 1)[1]
    for variable, _ in REFUSED:
        assert re.search(rf"^\| `{variable}` \|", table, re.M), variable
