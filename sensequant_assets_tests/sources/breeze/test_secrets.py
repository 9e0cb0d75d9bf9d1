"""With marker strings as credentials, no trace of them (or of the session key the server issues)
reaches exceptions, logs, Dagster's event log, metadata or the cache."""

import base64
import logging
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.sources.base import FetchResult
from sensequant_assets.sources.breeze.errors import BreezeError
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets_tests.support.standin_breeze import (
    MARKERS,
    SESSION_KEY,
    USER_ID,
    SourceFactory,
    StandinBreeze,
    standin_source,
)

SECRETS = (*MARKERS, base64.b64encode(f"{USER_ID}:{SESSION_KEY}".encode()).decode())


def _assert_clean(text: str, where: str) -> None:
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, f"{where} holds {leaked}"


def _files_text(*roots: Path) -> str:
    return "\n".join(
        path.read_bytes().decode("utf-8", "replace")
        for root in roots
        for path in root.rglob("*")
        if path.is_file()
    )


def _breeze_log_files() -> list[Path]:
    """breeze_connect's own DEBUG log files (wherever the first import of this process put them)."""
    return [
        Path(handler.baseFilename)
        for name in ("APILogger", "WebsocketLogger")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.FileHandler)
    ]


def test_no_secret_in_errors_logs_or_cache(
    make_source: SourceFactory,
    breeze_server: StandinBreeze,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    source = make_source()
    messages = [
        repr(source),
        str(source.model_dump(exclude={"api_key", "api_secret", "session_token"})),
    ]
    mapping = source.lookup("OBEROI", "OBEROIRLTY")
    source.fetch_year(mapping, 2024)
    messages.append(str(source.lookup("NOPE", "NOPE").error))
    breeze_server.script("OBEREA", "echo_secret", "echo_secret", "echo_secret")
    with pytest.raises(BreezeError) as failure:
        source.fetch_year(mapping, 2023)
    messages.append(str(failure.value))
    assert failure.value.__cause__ is None
    breeze_server.script("OBEREA", "bad_auth")
    with pytest.raises(BreezeError) as failure:
        source.fetch_year(mapping, 2022)
    messages.append(str(failure.value))
    with pytest.raises(BreezeError) as failure:
        make_source(session_token=SECRETS[2] + "-old").lookup("X", "TCS")
    messages.append(str(failure.value))
    # The multi-year paths: a capped answer asked again year by year (a logged warning), empty
    # closed years fetched and then served from the cache (notes), and a spent daily budget.
    breeze_server.script("OBEREA", "cap")
    adanigreen = source.lookup("ADANIGREEN", "ADANIGREEN")
    answers = [
        source.fetch_years(mapping, [2019, 2020, 2021]),
        source.fetch_years(adanigreen, [2020, 2021]),
        source.fetch_years(adanigreen, [2020, 2021]),
        make_source(calls_per_day=1).fetch_years(mapping, [2018]),
    ]
    messages += [str(getattr(r, "stats", r)) for years in answers for r in years.values()]

    assert "Invalid request for apikey=***" in messages[3]  # the echo was scrubbed, not dropped
    assert "asking each year alone" in caplog.text
    assert sum("cached as empty" in m or "when asked on" in m for m in messages) == 4
    assert "daily call budget exhausted" in messages[-1]
    _assert_clean("\n".join(messages), "exception messages")
    _assert_clean(caplog.text, "captured logs")
    _assert_clean(_files_text(tmp_path), "cache folder")
    _assert_clean(_files_text(*{p.parent for p in _breeze_log_files()}), "breeze log files")


def test_no_secret_in_the_dagster_event_log(
    breeze_server: StandinBreeze, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BREEZE_API_KEY", MARKERS[0])
    monkeypatch.setenv("BREEZE_API_SECRET", MARKERS[1])
    monkeypatch.setenv("BREEZE_SESSION_TOKEN", MARKERS[2])
    template = standin_source(breeze_server, tmp_path / "cache")
    source = BreezeSource(
        **{
            **template.model_dump(),
            "api_key": dg.EnvVar("BREEZE_API_KEY"),
            "api_secret": dg.EnvVar("BREEZE_API_SECRET"),
            "session_token": dg.EnvVar("BREEZE_SESSION_TOKEN"),
        }
    )

    @dg.asset
    def oberoi_2024(context: dg.AssetExecutionContext, bar_source: BreezeSource) -> None:
        mapping = bar_source.lookup("OBEROI", "OBEROIRLTY")
        for year, result in bar_source.fetch_years(mapping, [2022, 2023, 2024]).items():
            assert isinstance(result, FetchResult)
            context.add_output_metadata({f"{year}_{k}": v for k, v in result.stats.items()})
        empty = bar_source.fetch_years(bar_source.lookup("ADANIGREEN", "ADANIGREEN"), [2023])
        context.add_output_metadata({"empty_note": str(getattr(empty[2023], "stats", empty))})

    @dg.asset
    def oberoi_2021(bar_source: BreezeSource) -> None:
        bar_source.fetch_year(bar_source.lookup("OBEROI", "OBEROIRLTY"), 2021)

    with dg.instance_for_test() as instance:
        ok = dg.materialize([oberoi_2024], resources={"bar_source": source}, instance=instance)
        breeze_server.script("OBEREA", "echo_secret", "echo_secret", "echo_secret")
        failed = dg.materialize(
            [oberoi_2021], resources={"bar_source": source}, instance=instance, raise_on_error=False
        )
        events = [entry for run in (ok, failed) for entry in instance.all_logs(run.run_id)]

    assert ok.success and not failed.success
    materialization = ok.asset_materializations_for_node("oberoi_2024")[0]
    assert materialization.metadata["2024_api_calls"].value == 1
    assert materialization.metadata["2024_call_years"].value == "2022-2024"
    assert "cached as empty" in materialization.metadata["empty_note"].value
    text = "\n".join(dg.serialize_value(event) for event in events)
    assert "Invalid request for apikey=***" in text
    _assert_clean(text, "Dagster event log")
