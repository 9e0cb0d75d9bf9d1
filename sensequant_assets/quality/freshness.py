"""Freshness of daily_bars on the NSE calendar: is the last session that should be stored, stored?

A session is due once the evening cut-off (20:00 IST) after its 15:30 close has passed: the
refresh runs at 18:00 IST, so the cut-off leaves it two hours. Weekends, holidays and special
sessions come from the same calendar and reference file the coverage check uses
(`market.calendar` with `data/reference/sessions.csv`), and are judged as it judges them: a
holiday is never due, and neither is a special session (a Muhurat hour that some sources omit
and that ends after 19:00): a bar there counts as held, its absence is never overdue.

The warehouse is as fresh as its stalest symbol: a refresh that failed for one chunk leaves those
symbols a session behind, and the verdict names them.
"""

import datetime as dt
from typing import NamedTuple

from sensequant_assets.market.calendar import (
    IST,
    NSE_CLOSE,
    KnownDays,
    last_closed_day,
    trading_days,
)

FRESHNESS_CUTOFF = dt.time(20, 0)
"""IST time by which the day's session must be stored (the refresh runs at 18:00 IST)."""


class FreshnessVerdict(NamedTuple):
    """Whether the due session is stored; if not, the last one held and the first one lacking."""

    fresh: bool
    last_held: dt.date | None
    lacking: dt.date | None

    def describe(self) -> str:
        held = self.last_held.isoformat() if self.last_held else "no session"
        if self.fresh:
            return f"Fresh: holds the session of {held}."
        return f"Overdue: holds {held}, lacks the session of {self.lacking}."


def due_session(now: dt.datetime, known: KnownDays, cutoff: dt.time = FRESHNESS_CUTOFF) -> dt.date:
    """The latest regular session whose cut-off has passed at `now` (close plus the slack)."""
    day = now.astimezone(IST).date()
    slack = dt.datetime.combine(day, cutoff) - dt.datetime.combine(day, NSE_CLOSE)
    closed = last_closed_day(now - slack)
    for year in (closed.year, closed.year - 1):
        if done := [d for d in trading_days(year, known) if d <= closed]:
            return max(done)
    raise ValueError(f"No NSE session on or before {closed}")


def sessions_after(day: dt.date, through: dt.date, known: KnownDays) -> list[dt.date]:
    """Regular sessions after `day` up to and including `through`, in order."""
    days = (d for year in range(day.year, through.year + 1) for d in trading_days(year, known))
    return sorted(d for d in days if day < d <= through)


def freshness_verdict(
    latest_stored_session: dt.date | None,
    now: dt.datetime,
    known_days: KnownDays,
    cutoff: dt.time = FRESHNESS_CUTOFF,
) -> FreshnessVerdict:
    """Fresh when the latest stored session is the due one (or later); otherwise the session held
    and the first session after it that is due and missing."""
    due = due_session(now, known_days, cutoff)
    if latest_stored_session is not None and latest_stored_session >= due:
        return FreshnessVerdict(True, latest_stored_session, None)
    if latest_stored_session is None:
        return FreshnessVerdict(False, None, due)
    lacking = sessions_after(latest_stored_session, due, known_days)
    return FreshnessVerdict(False, latest_stored_session, lacking[0] if lacking else due)


def universe_verdict(
    latest_by_symbol: dict[str, dt.date], now: dt.datetime, known_days: KnownDays
) -> tuple[FreshnessVerdict, list[str]]:
    """The verdict of the stalest symbol, and every symbol behind the due session (sorted)."""
    stalest = min(latest_by_symbol.values(), default=None)
    verdict = freshness_verdict(stalest, now, known_days)
    due = due_session(now, known_days)
    behind = sorted(symbol for symbol, day in latest_by_symbol.items() if day < due)
    return verdict, behind
