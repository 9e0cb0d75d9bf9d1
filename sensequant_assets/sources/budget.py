"""A source's daily call budget, as every source-neutral part of the platform sees it.

The intraday batch, the resume sensor and the asset's metadata read where a day's calls stand and
stop when they are spent, whichever source spends them. Only a source with a call limit (Breeze)
has a budget; it returns its own `BudgetState` and raises its own `BudgetExhaustedError`, so the
layers above never import that source.
"""

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class BudgetState:
    """Where the day's budget stands, for the UI and the backfill plan (read, never spent)."""

    used: int
    """Calls in the last 24 h, from every process of this installation."""
    cap: int
    reserved: int
    """Calls kept for daily refreshes: bulk (intraday) calls never use them."""
    left_for_intraday: int
    resume_at: dt.datetime | None
    """When bulk calls may go on (IST), if their share is spent now; None while some is left."""

    spender: ClassVar[str] = "Source"
    """Whose budget it is, first word of the text the sensor and the asset show."""

    def __str__(self) -> str:
        text = (
            f"{self.spender} budget: {self.used} of {self.cap} calls used in the last 24 h, "
            f"{self.reserved} reserved for daily refreshes, {self.left_for_intraday} left for "
            "intraday"
        )
        return text + (
            f"; intraday resumes at {self.resume_at:%Y-%m-%d %H:%M} IST" if self.resume_at else ""
        )


class BudgetExhaustedError(RuntimeError):
    """The day's call budget is spent: waiting would block a run for hours, so the batch stops
    and its unfetched partitions pause until `resume_at`."""

    def __init__(self, message: str, resume_at: dt.datetime) -> None:
        super().__init__(message)
        self.resume_at = resume_at

    def __reduce__(self) -> tuple[type, tuple[str, dt.datetime]]:
        """Survive pickling (run workers, process pools): rebuilt with its resume time."""
        return type(self), (str(self), self.resume_at)
