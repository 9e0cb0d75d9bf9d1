"""`sensequant intraday` prints the call plan before a backfill, on the deployment's limits."""

from pathlib import Path

import pytest

from sensequant_assets import cli


def test_the_plan_is_printed_and_nothing_launched_without_asking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = tmp_path / "two.txt"
    listed.write_text("RELIANCE\nTCS\n")
    monkeypatch.setenv("BREEZE_DAILY_RESERVE", "4990")
    code = cli.main(["intraday", str(listed), "--from", "2024-03", "--to", "2024-04"])
    out = capsys.readouterr().out
    assert code == 0
    # March 2024 is 7 pages of 1000 one-minute candles a symbol, April 8.
    assert "2 symbols x 2 months at 1minute = 30 Breeze calls" in out
    assert "less 4,990 reserved for daily refreshes (10 for intraday) it takes 3 day(s)" in out
    assert "Nothing launched: add --launch" in out


def test_a_month_that_is_no_month_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["intraday", "x.txt", "--from", "2024-13", "--to", "2024-12"])
    assert "'2024-13' is not a month like 2024-03" in capsys.readouterr().err
