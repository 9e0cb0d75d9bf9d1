"""The day's session token as an operator hands it in: `sensequant breeze-session` stores it
owner-only in the profile's secrets folder, every later login reads it (no restart), and a token
Breeze refuses costs one login and one alert, however many runs would use it."""

import io
import stat
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets import cli
from sensequant_assets.alerts import AlertsResource
from sensequant_assets.defs.ingestion.assets import symbol_mapping
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources.base import AlreadyReportedAuthError
from sensequant_assets.sources.breeze.errors import BreezeAuthError
from sensequant_assets.sources.breeze.session import TOKEN_FILE, read_token
from sensequant_assets.universe.partitions import range_tags
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.defs.alerts.test_sensors import evaluate
from sensequant_assets_tests.support.standin_breeze import (
    SESSION_TOKEN,
    SourceFactory,
    StandinBreeze,
)

TOMORROW = "SESSIONTOKEN-MARKER-NEXTDAY-77e1"


def store(secrets: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> int:
    """`sensequant breeze-session` with the token piped in, as an operator pastes it."""
    monkeypatch.setenv("SENSEQUANT_CREDENTIALS_DIR", str(secrets))
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    return cli.main(["breeze-session"])


def logins(server: StandinBreeze) -> int:
    return sum(call.endpoint == "customerdetails" for call in server.calls)


def test_the_token_is_stored_owner_only_and_bad_input_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = tmp_path / "secrets"
    assert store(secrets, monkeypatch, f"{SESSION_TOKEN}\n") == 0
    assert stat.S_IMODE((secrets / TOKEN_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    assert read_token(secrets) == SESSION_TOKEN
    assert SESSION_TOKEN not in capsys.readouterr().out  # a fingerprint, never the token

    for bad in ("", "two tokens\n", "a\nb\n", "x" * 600):
        assert store(secrets, monkeypatch, bad) == 2
        assert "error:" in capsys.readouterr().err
        assert read_token(secrets) == SESSION_TOKEN

    (secrets / TOKEN_FILE).chmod(0o644)
    with pytest.raises(ValueError, match="can be read by other users"):
        read_token(secrets)


def test_a_running_process_logs_in_with_the_token_stored_since(
    make_source: SourceFactory,
    breeze_server: StandinBreeze,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets = tmp_path / "secrets"
    source = make_source(session_token="", secrets_dir=str(secrets))
    store(secrets, monkeypatch, SESSION_TOKEN)
    assert source.lookup("OBEROI", "OBEROIRLTY").resolved
    breeze_server.rotate_session(TOMORROW)
    store(secrets, monkeypatch, TOMORROW)
    assert source.lookup("OBEROI", "OBEROIRLTY").resolved  # the same object, a new login
    assert logins(breeze_server) == 2


def test_the_file_wins_over_the_variable_which_stays_the_fallback(
    make_source: SourceFactory,
    breeze_server: StandinBreeze,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets = tmp_path / "secrets"
    assert make_source(secrets_dir=str(secrets)).lookup("OBEROI", "OBEROIRLTY").resolved
    breeze_server.rotate_session(TOMORROW)
    store(secrets, monkeypatch, TOMORROW)  # BREEZE_SESSION_TOKEN still holds yesterday's
    assert make_source(secrets_dir=str(secrets)).lookup("OBEROI", "OBEROIRLTY").resolved


def test_an_expired_token_fails_once_then_without_a_call_until_a_new_one_is_stored(
    make_source: SourceFactory,
    breeze_server: StandinBreeze,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets = tmp_path / "secrets"
    store(secrets, monkeypatch, SESSION_TOKEN)
    breeze_server.rotate_session(TOMORROW)  # midnight IST: yesterday's token is refused

    with pytest.raises(BreezeAuthError, match="sensequant breeze-session") as first:
        make_source(secrets_dir=str(secrets)).lookup("OBEROI", "OBEROIRLTY")  # a run
    assert not isinstance(first.value, AlreadyReportedAuthError)
    assert "stored" in str(first.value) and SESSION_TOKEN not in str(first.value)
    for _ in range(3):  # the next runs of the morning
        with pytest.raises(AlreadyReportedAuthError, match=r"refused at .* by an earlier run"):
            make_source(secrets_dir=str(secrets)).lookup("OBEROI", "OBEROIRLTY")
    assert logins(breeze_server) == 1

    store(secrets, monkeypatch, TOMORROW)
    assert make_source(secrets_dir=str(secrets)).lookup("OBEROI", "OBEROIRLTY").resolved
    assert logins(breeze_server) == 2


def test_the_mornings_runs_on_an_expired_token_raise_one_alert(
    make_source: SourceFactory,
    breeze_server: StandinBreeze,
    instance: dg.DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets = tmp_path / "secrets"
    store(secrets, monkeypatch, SESSION_TOKEN)
    breeze_server.rotate_session(TOMORROW)
    symbols = ["RELIANCE", "TCS", "INFY"]
    instance.add_dynamic_partitions("symbols", symbols)
    log = tmp_path / "alerts.log"
    for _ in range(3):  # three runs, three partitions each, each its own process's source
        resources = {
            "warehouse": WarehouseResource(database=str(tmp_path / "w.duckdb")),
            "bar_source": make_source(secrets_dir=str(secrets)),
            "paths": ProjectPaths(),
        }
        failed = dg.materialize(
            [symbol_mapping],
            instance=instance,
            resources=resources,
            tags=range_tags(symbols[0], symbols[-1]),
            raise_on_error=False,
        )
        assert not failed.success
        evaluate(instance, failed, AlertsResource(log_file=str(log)))
    [line] = log.read_text().splitlines()
    assert "asset=symbol_mapping" in line and "partition=RELIANCE..INFY" in line
    assert "refused" in line and SESSION_TOKEN not in line
    assert logins(breeze_server) == 1
