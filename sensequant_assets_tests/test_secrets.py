"""No lake password and no webhook credential anywhere, whatever characters they hold.

Hostile values (quotes, backslashes, `%`, spaces, unicode, newlines) go in through the
environment as a deployment sets them; a run fails on an unreachable lake, its failure goes to
the alerts log and a webhook that cannot be reached; then every byte written (the instance's
event log storage, compute logs, the alerts log, the lake's folder), the reprs and the exception
are searched for every encoding of each secret (raw, libpq-escaped, SQL-quoted, URL-encoded,
JSON- and repr-escaped).
"""

import socket
from pathlib import Path

import dagster as dg
import duckdb
import psycopg2
import pytest

from sensequant_assets.alerts import AlertsResource
from sensequant_assets.defs.resources import alerts, warehouse
from sensequant_assets.secrets import encodings
from sensequant_assets.settings import SettingError
from sensequant_assets.warehouse.lake import LakeCatalog, LakeUnavailableError, attach
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.conftest import synthetic_at_fixed_now
from sensequant_assets_tests.defs.ingestion.test_assets import ingest
from sensequant_assets_tests.support.lakes import fresh_lake
from sensequant_assets_tests.support.postgres import LocalPostgres

HOSTILE_PASSWORDS = [
    "pa'ss\\word",
    "100% sure pass",
    "q\"uo'te\\\\d",
    "pässwörd-密码-🔑",
    "two\nlines\tand tabs",
    "%27%5C'--;DROP",
]


def closed_port() -> int:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return unused.getsockname()[1]  # closed once the block ends: nothing listens there


def forms(secret: str) -> set[bytes]:
    """Every encoding of `secret`, as bytes a file may hold (utf-8)."""
    return {form.encode("utf-8") for form in encodings(secret)}


def leaks(secret: str, *texts: str | bytes) -> list[str]:
    found = []
    for text in texts:
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        found += [form.decode() for form in forms(secret) if form in data]
    return found


def written_bytes(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_encodings_cover_what_libpq_sql_and_urls_make_of_a_secret() -> None:
    secret = "a'b\\c d%"
    assert {"a\\'b\\\\c d%", "a''b\\c d%", "a\\''b\\\\c d%", "a%27b%5Cc%20d%25"} <= encodings(
        secret
    )


@pytest.mark.parametrize("password", HOSTILE_PASSWORDS, ids=range(len(HOSTILE_PASSWORDS)))
def test_a_lake_password_reaches_no_error_log_repr_or_alert(
    password: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = closed_port()
    for variable, value in {
        "SENSEQUANT_WAREHOUSE_BACKEND": "ducklake",
        "SENSEQUANT_LAKE_DATA_PATH": str(tmp_path / "lake"),
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(port),
        "DAGSTER_PG_PASSWORD": password,
        "SENSEQUANT_ALERTS_LOG": str(tmp_path / "alerts.log"),
        "SENSEQUANT_ALERTS_WEBHOOK": f"http://127.0.0.1:{closed_port()}/hook",
    }.items():
        monkeypatch.setenv(variable, value)
    errors: list[str] = []

    @dg.asset
    def reads_the_lake(warehouse: WarehouseResource) -> None:
        errors.append(repr(warehouse) + repr(warehouse.catalog) + warehouse.location)
        try:
            with warehouse.get_connection():
                pass
        except LakeUnavailableError as exc:
            errors.append(str(exc))
            raise

    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        result = dg.materialize(
            [reads_the_lake],
            resources={"warehouse": warehouse()},
            instance=instance,
            raise_on_error=False,
        )
        [failure] = [event for event in result.all_events if event.is_step_failure]
        reason = str(failure.event_specific_data.error)  # what the failure sensor sends

        @dg.asset
        def alert(alerts: AlertsResource) -> None:
            alerts.send("failed", "reads_the_lake", "", reason)

        sent = dg.materialize([alert], resources={"alerts": alerts()}, instance=instance)
        runs = (result.run_id, sent.run_id)
        events = "\n".join(dg.serialize_value(e) for run in runs for e in instance.all_logs(run))

    assert not result.success
    assert "Cannot open the warehouse DuckLake" in errors[-1] and "password='***'" in errors[-1]
    log = (tmp_path / "alerts.log").read_text(encoding="utf-8")
    assert "Cannot open the warehouse DuckLake" in log and "webhook_failed" in log
    assert leaks(password, *errors, reason, events, log, repr(warehouse())) == []
    files = written_bytes(tmp_path)
    assert any(path.suffix == ".db" for path in files), "the event log storage was not scanned"
    assert {path: found for path, data in files.items() if (found := leaks(password, data))} == {}


WEBHOOK_SECRETS = ("T000/B000/XXsecretpath", "us3r:p%40ss w0rd", "tok=abc'd\\ef")


def test_a_webhook_that_fails_is_logged_as_scheme_and_host_only(tmp_path: Path) -> None:
    port = closed_port()
    url = (
        f"http://us3r:p%40ss%20w0rd@127.0.0.1:{port}/services/T000/B000/XXsecretpath?tok=abc'd\\ef"
    )
    resource = AlertsResource(log_file=str(tmp_path / "alerts.log"), webhook_url=url)
    resource.send("failed", "daily_bars", "INFY|2025", "source error")

    line, failed = (tmp_path / "alerts.log").read_text(encoding="utf-8").splitlines()
    assert "reason=source error" in line
    assert f"\twebhook_failed\turl=http://127.0.0.1:{port}/…\terror=" in failed
    for secret in WEBHOOK_SECRETS:
        assert leaks(secret, failed, repr(resource), str(resource)) == [], secret


@pytest.mark.parametrize(
    "url",
    [
        "hooks.example.com/services/T000/B000/XXsecretpath",
        "ftp://hooks.example.com/XXsecretpath",
        "https:///XXsecretpath",
        "http://hooks.example.com:port/XXsecretpath",
        " https://hooks.example.com/XXsecretpath",
    ],
)
def test_a_bad_webhook_url_is_refused_when_the_resource_is_built(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, a URL without a scheme made `send()` raise, erroring the failure sensor's tick."""
    with pytest.raises(ValueError, match="SENSEQUANT_ALERTS_WEBHOOK") as direct:
        AlertsResource(webhook_url=url)
    monkeypatch.setenv("SENSEQUANT_ALERTS_WEBHOOK", url)
    with pytest.raises(SettingError, match="SENSEQUANT_ALERTS_WEBHOOK") as loaded:
        alerts()
    for message in (str(direct.value), str(loaded.value)):
        assert "XXsecretpath" not in message and "secret, not shown" not in str(direct.value)


def test_a_hostile_lake_password_is_stored_nowhere_a_run_writes(
    postgres_server: LocalPostgres, tmp_path: Path
) -> None:
    """The local server trusts every connection, so a password holding every hostile character
    at once is accepted; a real ingestion run writes the lake, and every byte under the test's
    folder (the lake's data files, the instance's event log storage) and every catalog row is
    searched for each of its encodings."""
    password = "p'a\\ss %20 wörd🔑\n\"x"
    lake = fresh_lake(postgres_server, tmp_path, lake_catalog_password=password)
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        result = ingest(instance, lake, synthetic_at_fixed_now(), "INFY|2023", "INFY|2023")
        events = "\n".join(dg.serialize_value(e) for e in instance.all_logs(result.run_id))
    assert result.success
    catalog = psycopg2.connect(
        host=lake.lake_catalog_host,
        port=lake.lake_catalog_port,
        user=lake.lake_catalog_user,
        dbname=lake.lake_catalog_db,
    )
    try:
        with catalog.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                [lake.lake_catalog_schema],
            )
            tables = [name for (name,) in cursor.fetchall()]
            rows = ""
            for table in tables:
                cursor.execute(f'SELECT * FROM "{lake.lake_catalog_schema}"."{table}"')
                rows += repr(cursor.fetchall())
    finally:
        catalog.close()
    assert "ducklake_data_file" in tables
    assert leaks(password, events, rows, repr(lake), repr(lake.catalog), lake.location) == []
    files = written_bytes(tmp_path)
    assert any(path.suffix == ".parquet" for path in files)
    assert {path: found for path, data in files.items() if (found := leaks(password, data))} == {}


def test_a_password_too_short_to_scrub_by_value_is_still_cut_from_the_connection_string(
    tmp_path: Path,
) -> None:
    """Values under four characters are not replaced wherever they occur (that would garble
    every message); the password DuckDB quotes back in its connection string still is."""
    lake = str(tmp_path / "lake")
    catalog = LakeCatalog("127.0.0.1", closed_port(), "dagster", "postgres", "k'\\", "s", lake)
    conn = duckdb.connect(":memory:", config={"autoload_known_extensions": False})
    with conn, pytest.raises(LakeUnavailableError) as refused:
        attach(conn, catalog)
    assert "password='***'" in str(refused.value) and "k\\'" not in str(refused.value)
