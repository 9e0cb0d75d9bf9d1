"""The NSE trading calendar, as exchange_calendars' XBOM knows it.

XBOM follows NSE's holidays (including the 2024 special closures), but it does not list the short
special sessions that real data holds: Diwali Muhurat trading and the 2024 Saturday
disaster-recovery sessions. Those are kept here so that coverage never calls them errors.
"""

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

import pandas as pd

FIRST_YEAR = 2022

SPECIAL_SESSIONS: dict[dt.date, str] = {
    dt.date(2022, 10, 24): "Diwali Muhurat trading",
    dt.date(2023, 11, 12): "Diwali Muhurat trading",
    dt.date(2024, 3, 2): "Saturday disaster-recovery session",
    dt.date(2024, 5, 18): "Saturday disaster-recovery session",
    dt.date(2024, 11, 1): "Diwali Muhurat trading",
}

# India Standard Time (UTC+05:30, no daylight saving): the zone of every NSE date and time.
# NSE closes at 15:30 IST; a session is "completed" once its close has passed.
IST = ZoneInfo("Asia/Kolkata")
NSE_CLOSE = dt.time(15, 30)


@cache
def _xbom():
    import exchange_calendars as xcals  # imported lazily: it costs ~0.4 s at every run start

    # The default end is the last year whose holidays the package records.
    return xcals.get_calendar("XBOM", start=f"{FIRST_YEAR - 1}-12-01")


@cache
def sessions_in_year(year: int) -> tuple[dt.date, ...]:
    """All regular NSE sessions of a calendar year (2022: 247, 2023: 245, 2024: 246)."""
    calendar = _xbom()
    if year > calendar.last_session.year:
        raise ValueError(
            f"exchange_calendars records NSE (XBOM) holidays only up to "
            f"{calendar.last_session.year}; upgrade exchange-calendars to work with {year}."
        )
    sessions = calendar.sessions_in_range(pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31))
    return tuple(ts.date() for ts in sessions)


def last_completed_session(now: dt.datetime | None = None) -> dt.date:
    """The latest session whose close (15:30 IST) has passed at `now`."""
    now_ist = (now or dt.datetime.now(dt.UTC)).astimezone(IST)
    cutoff = now_ist.date() if now_ist.time() >= NSE_CLOSE else now_ist.date() - dt.timedelta(1)
    for year in (cutoff.year, cutoff.year - 1):
        done = [d for d in sessions_in_year(year) if d <= cutoff]
        if done:
            return done[-1]
    raise ValueError(f"No NSE session on or before {cutoff}")


def expected_sessions(
    year: int, listed_on: dt.date | None = None, now: dt.datetime | None = None
) -> tuple[dt.date, ...]:
    """Sessions a symbol should have bars for in `year`.

    A symbol listed during the year is expected from its listing date; the current year only up to
    the last completed session.
    """
    last = last_completed_session(now)
    return tuple(
        d for d in sessions_in_year(year) if d <= last and (listed_on is None or d >= listed_on)
    )


def special_session_label(day: dt.date) -> str | None:
    return SPECIAL_SESSIONS.get(day)
