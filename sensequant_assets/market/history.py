"""How deep the platform's history reaches: the first year, a deployment setting.

ICICI Breeze serves about ten years of daily bars (its client's PyPI page: "10 years of historical
market data"), so the default first year is 2016, ten full years before the current 2026. A walk-
forward teacher with 252-session training windows gets a dozen windows from 2016, four from 2022.

The year partitions and the month partitions are built when the code location loads, before any
resource exists, so both they and the `history` resource read the same variable through
`first_year()`, which refuses a bad value there, naming the variable. Moving the first year earlier
adds partitions (a backfill of only the new ones fetches only them); moving it later hides
partitions in the UI and deletes nothing: the stored rows stay in the warehouse.
"""

import datetime as dt
import os
from collections.abc import Mapping

import dagster as dg
from pydantic import Field, field_validator

from sensequant_assets.market.calendar import CALENDAR_FROM, IST

FIRST_YEAR_VARIABLE = "SENSEQUANT_FIRST_YEAR"
DEFAULT_FIRST_YEAR = CALENDAR_FROM
"""2016: where the calendar's shared XBOM instance starts, so the default builds no second one."""
EARLIEST_FIRST_YEAR = 2000
"""No source the platform reads serves NSE daily bars from before 2000 (Breeze: about 2016)."""


def check_first_year(year: int, today: dt.date | None = None) -> int:
    """`year` if it is a first year the platform can run from, else a clear error."""
    this_year = (today or dt.datetime.now(IST).date()).year
    if not EARLIEST_FIRST_YEAR <= year <= this_year:
        raise ValueError(
            f"{FIRST_YEAR_VARIABLE}={year} is outside {EARLIEST_FIRST_YEAR}-{this_year}: set it to "
            f"the first year of daily history to hold (default {DEFAULT_FIRST_YEAR}, about the "
            "ten years ICICI Breeze serves), or unset it."
        )
    return year


def first_year(environ: Mapping[str, str] | None = None) -> int:
    """The deployment's first year: `SENSEQUANT_FIRST_YEAR`, else DEFAULT_FIRST_YEAR."""
    raw = (environ if environ is not None else os.environ).get(FIRST_YEAR_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_FIRST_YEAR
    try:
        year = int(raw)
    except ValueError:
        raise ValueError(
            f"{FIRST_YEAR_VARIABLE}={raw!r} is not a year: set it to a year such as "
            f"{DEFAULT_FIRST_YEAR}, or unset it."
        ) from None
    return check_first_year(year)


class HistorySettings(dg.ConfigurableResource):
    """How far back this deployment's daily and intraday history reaches."""

    first_year: int = Field(
        default=DEFAULT_FIRST_YEAR,
        description=(
            "First year of the year and month partitions, the calendar and every coverage "
            f"judgement (env {FIRST_YEAR_VARIABLE}, default {DEFAULT_FIRST_YEAR}: about the ten "
            "years ICICI Breeze serves). Earlier adds partitions to backfill; later deletes "
            "nothing."
        ),
    )

    @field_validator("first_year", mode="before")
    @classmethod
    def _in_bounds(cls, value: object) -> object:
        # Bound to the variable, the field holds a placeholder (Dagster's int EnvVar, an int
        # subclass) until a run resolves it; `first_year()` has judged the variable at load.
        return check_first_year(value) if type(value) is int else value

    def years_through(self, now: dt.datetime | None = None) -> list[int]:
        """The deployment's years: the first to the current (IST) one, as the partitions hold."""
        today = (now or dt.datetime.now(dt.UTC)).astimezone(IST).date()
        return list(range(self.first_year, today.year + 1))
