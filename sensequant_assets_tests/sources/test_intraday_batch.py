"""Which paused intraday partitions resume, and when."""

import datetime as dt

from sensequant_assets.market.calendar import IST
from sensequant_assets.sources.budget import BudgetState
from sensequant_assets.sources.intraday_batch import due_to_resume

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=IST)
PAUSED = {"2024-03|TCS": NOW - dt.timedelta(minutes=5), "2024-04|TCS": NOW + dt.timedelta(hours=1)}


def budget(left: int) -> BudgetState:
    return BudgetState(
        used=4800 - left, cap=5000, reserved=200, left_for_intraday=left, resume_at=None
    )


def test_with_a_budget_all_resume_once_a_tenth_of_the_share_is_free() -> None:
    assert due_to_resume(PAUSED, budget(479), NOW) == []  # one run per freed call would thrash
    assert due_to_resume(PAUSED, budget(480), NOW) == sorted(PAUSED)


def test_without_a_budget_those_whose_time_has_come_resume() -> None:
    assert due_to_resume(PAUSED, None, NOW) == ["2024-03|TCS"]
    assert due_to_resume({"2024-05|TCS": None}, None, NOW) == ["2024-05|TCS"]
