"""The call plan of a deeper daily history: one call per three consecutive years a symbol (each
under the 1000-candle cap), spread over the app key's per-minute rate and daily cap less the
refresh reserve; `sensequant history` prints it."""

from pathlib import Path

import pytest

from sensequant_assets import cli
from sensequant_assets.market.calendar import sessions_in_year
from sensequant_assets.sources.breeze.candles import CANDLE_CAP
from sensequant_assets.sources.breeze.daily import call_spans
from sensequant_assets.sources.history_plan import history_plan

TEN_YEARS = range(2016, 2026)


def test_nifty_100_over_ten_years() -> None:
    plan = history_plan(100, TEN_YEARS, per_minute=100, per_day=5000, reserve=200)
    assert (plan.calls_per_symbol, plan.calls) == (4, 400)
    assert plan.minutes_at_rate == 4.0 and plan.days_at_cap == 1
    assert "100 symbols x 2016-2025 (10 years) = 400 Breeze calls (4 a symbol" in str(plan)
    assert "less 200 kept for the daily refreshes it takes 1 day(s)" in str(plan)


def test_every_call_stays_under_the_candle_cap() -> None:
    for span in call_spans(list(TEN_YEARS)):
        sessions = sum(len(sessions_in_year(year)) for year in span)
        assert sessions + 2 <= CANDLE_CAP  # the two margin days a call asks for


def test_the_reserve_is_kept_and_a_reserve_past_the_cap_is_refused() -> None:
    plan = history_plan(2000, TEN_YEARS, per_day=5000, reserve=200)
    assert (plan.calls, plan.days_at_cap) == (8000, 2)  # 4,800 a day
    with pytest.raises(ValueError, match="reserve"):
        history_plan(100, TEN_YEARS, per_day=100, reserve=100)


def test_the_cli_prints_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = tmp_path / "nifty.txt"
    listed.write_text("".join(f"S{i:03d}\n" for i in range(100)), encoding="utf-8")
    assert cli.main(["history", str(listed), "--from", "2016", "--to", "2025"]) == 0
    assert "= 400 Breeze calls" in capsys.readouterr().out
