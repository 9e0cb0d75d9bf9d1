"""The CLI takes every deployment setting from the code location's own functions
(`defs/resources.py`), so it refuses exactly what the code location refuses, with the same words,
and plans with the values runs get: it reads no variable itself.

In-process (`cli.main` under the test's environment): the subprocess view of these errors (one
line, exit 2, no traceback) is `test_cli.py`'s.
"""

from collections.abc import Callable
from pathlib import Path

import pytest

from sensequant_assets import cli
from sensequant_assets.defs.resources import (
    BREEZE_SETTINGS,
    bar_source,
    bound,
    intraday_settings,
)
from sensequant_assets.sources.breeze.source import BreezeSource
from sensequant_assets.universe.reference import ReferenceFileError

PLAN = ["--from", "2024-01", "--to", "2024-02"]


@pytest.fixture
def pair(tmp_path: Path) -> Path:
    listed = tmp_path / "pair.txt"
    listed.write_text("RELIANCE\nTCS\n")
    return listed


def refusal(build: Callable[[], object]) -> str:
    """What the code location says when `build` meets the environment."""
    with pytest.raises(ValueError) as refused:
        build()
    return str(refused.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BREEZE_CALLS_PER_MINUTE", "0"),
        ("BREEZE_DAILY_RESERVE", "-5"),
        ("BREEZE_CALLS_PER_DAY", "x"),
    ],
)
def test_a_breeze_limit_is_refused_as_the_code_location_refuses_it(
    variable: str,
    value: str,
    pair: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before, the CLI parsed the limits itself: a per-minute rate of 0 or a negative reserve,
    which no run accepts, planned on (or failed with a traceback)."""
    monkeypatch.setenv(variable, value)
    field = next(field for field, name in BREEZE_SETTINGS.items() if name == variable)
    expected = refusal(lambda: bound(BreezeSource, field, variable))
    assert cli.main(["history", str(pair)]) == 2
    assert capsys.readouterr().err.strip() == f"sensequant history: error: {expected}"


def test_the_interval_is_the_one_runs_get_and_refused_in_their_words(
    pair: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SENSEQUANT_INTRADAY_INTERVAL", "30minute")
    assert cli.intraday_interval(None) == "30minute"
    assert intraday_settings().process_config_and_initialize().interval == "30minute"
    assert cli.main(["intraday", str(pair), *PLAN]) == 0
    assert "at 30minute" in capsys.readouterr().out

    monkeypatch.setenv("SENSEQUANT_INTRADAY_INTERVAL", "2minute")
    expected = refusal(intraday_settings)
    assert cli.main(["intraday", str(pair), *PLAN]) == 2
    assert capsys.readouterr().err.strip() == f"sensequant intraday: error: {expected}"


def test_a_profile_no_run_would_load_is_refused_before_any_work(
    pair: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The code location refuses the demo profile with a market source; before, the CLI checked
    the source by a list of its own and printed a plan for a deployment that cannot run."""
    monkeypatch.setenv("SENSEQUANT_PROFILE", "demo")
    monkeypatch.setenv("SENSEQUANT_SOURCE", "breeze")
    expected = refusal(bar_source)
    assert cli.main(["intraday", str(pair), *PLAN]) == 2
    assert capsys.readouterr().err.strip() == f"sensequant intraday: error: {expected}"


def test_the_plan_reads_the_calendar_of_the_deployments_reference_folder(
    pair: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder `project_paths()` binds: an unreadable sessions.csv there is named."""
    folder = tmp_path / "reference"
    folder.mkdir()
    (folder / "sessions.csv").write_text("not,a,sessions,file\n1,2,3,4\n")
    monkeypatch.setenv("SENSEQUANT_REFERENCE_DIR", str(folder))
    with pytest.raises(ReferenceFileError, match=str(folder / "sessions.csv")):
        cli.main(["intraday", str(pair), *PLAN])
