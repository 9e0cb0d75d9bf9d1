"""The call budget is a source-neutral type (`sources/budget.py`) that Breeze's limiter returns and
raises, so the base of every source and the intraday batch know no particular source
(test_architecture.py checks their imports)."""

import datetime as dt
import pickle
from pathlib import Path

from sensequant_assets.market.calendar import IST
from sensequant_assets.sources.breeze.limiter import (
    BreezeBudget,
    DailyBudgetExhaustedError,
    RateLimiter,
)
from sensequant_assets.sources.budget import BudgetExhaustedError, BudgetState


def test_breeze_limiter_returns_and_raises_the_neutral_types(tmp_path: Path) -> None:
    state = RateLimiter(tmp_path / "limiter.sqlite", calls_per_day=10, reserve=2).budget_state()
    assert isinstance(state, BudgetState) and isinstance(state, BreezeBudget)
    assert str(state).startswith("Breeze budget: 0 of 10 calls used in the last 24 h, 2 reserved")
    resume_at = dt.datetime(2026, 12, 3, 10, 0, tzinfo=IST)
    spent = pickle.loads(pickle.dumps(DailyBudgetExhaustedError("spent", resume_at)))
    assert isinstance(spent, BudgetExhaustedError) and spent.resume_at == resume_at
