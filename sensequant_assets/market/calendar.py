"""The NSE trading calendar: exchange_calendars' XBOM, corrected by what it cannot know.

XBOM follows NSE's holidays, including the late closures its release saw (2024-01-22,
2026-01-15), but it cannot know what was announced after its release, it does not list the short
special sessions real data holds (Diwali Muhurat trading, the 2024 Saturday disaster-recovery
sessions), and it stops at the last year whose holidays the release records (2026 for 4.13.2).
So the calendar here is three layers:

- `sessions_in_year`: XBOM's sessions, and every weekday beyond XBOM's horizon, so that a new year
  never stops the platform (January 1 brings a new year partition);
- `KnownDays`: the corrections, each with why: the reference file `data/reference/sessions.csv`
  (loaded by `universe.reference.load_known_days`) and, above it, what most symbols' bars show
  (`quality.sessions`);
- `expected_sessions` and `last_completed_session`, which apply both.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import ZoneInfo

import pandas as pd

CALENDAR_FROM = 2016
"""The year the shared XBOM instance starts at (building it costs ~0.4 s, more for every year
before): the default first year (`market.history`). Earlier years get an instance of their own."""

# India Standard Time (UTC+05:30, no daylight saving): the zone of every NSE date and time.
# NSE's normal market runs 09:15-15:30 IST; a session is "completed" once its close has passed.
IST = ZoneInfo("Asia/Kolkata")
NSE_OPEN = dt.time(9, 15)
NSE_CLOSE = dt.time(15, 30)

HORIZON_NOTE = (
    "calendar beyond exchange_calendars' horizon: sessions are weekdays minus reference holidays"
)


@dataclass(frozen=True)
class KnownDays:
    """Days the exchange calendar gets wrong, each with why (users read the why)."""

    sessions: Mapping[dt.date, str] = field(default_factory=dict)
    """Days the market traded that the calendar does not list. Many are short (a Muhurat hour)
    and some sources omit them, so a bar there is accepted and its absence is never a gap."""
    holidays: Mapping[dt.date, str] = field(default_factory=dict)
    """Days the calendar lists as sessions on which the market was closed: never expected."""
    hours: Mapping[dt.date, tuple[tuple[dt.time, dt.time], ...]] = field(default_factory=dict)
    """Normal-market segments (IST, start inclusive, end exclusive) of the sessions that do not
    run NSE_OPEN-NSE_CLOSE: a Muhurat hour, the two halves of a disaster-recovery Saturday."""

    def merged(self, other: "KnownDays") -> "KnownDays":
        """Both sets of corrections; where both name a day, this one's why is kept."""
        return KnownDays(
            sessions={**other.sessions, **self.sessions},
            holidays={**other.holidays, **self.holidays},
            hours={**other.hours, **self.hours},
        )


NO_KNOWN_DAYS = KnownDays()


@cache
def _xbom(start_year: int = CALENDAR_FROM):
    import exchange_calendars as xcals  # imported lazily: it costs ~0.4 s at every run start

    # The default end is the last year whose holidays the package records.
    return xcals.get_calendar("XBOM", start=f"{start_year - 1}-12-01")


def calendar_horizon() -> dt.date:
    """The last day exchange_calendars knows NSE's holidays for (2026-12-31 in 4.13.2)."""
    return _xbom().last_session.date()


def beyond_horizon(year: int) -> bool:
    """Whether some of `year` lies past exchange_calendars' horizon (its sessions are guessed)."""
    return dt.date(year, 12, 31) > calendar_horizon()


def holiday_list_missing(year: int, reference: KnownDays) -> bool:
    """Whether `year` reaches past exchange_calendars' horizon and the reference file lists none
    of its holidays (NSE publishes next year's list only in mid-December): its weekdays are then
    guesses that only the bars can confirm (`guessed_sessions`)."""
    return beyond_horizon(year) and not any(day.year == year for day in reference.holidays)


def guessed_sessions(year: int, reference: KnownDays) -> tuple[dt.date, ...]:
    """The days of `year` that are sessions only because they are weekdays: past the horizon, in
    a year whose holiday list is missing. A day here that no symbol has a bar for is taken as a
    holiday (`quality.sessions`), never expected and never overdue; once the list is added, every
    weekday it does not name is a session again."""
    if not holiday_list_missing(year, reference):
        return ()
    horizon = calendar_horizon()
    return tuple(day for day in trading_days(year, reference) if day > horizon)


@cache
def sessions_in_year(year: int) -> tuple[dt.date, ...]:
    """The calendar's sessions of a year (2022: 247, 2023: 245, 2024: 246).

    Past exchange_calendars' horizon every weekday counts: a holiday nobody has recorded yet is
    then taken out by the reference file or by the data itself, never by a failure.
    """
    horizon = calendar_horizon()
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    days: list[dt.date] = []
    if first <= horizon:
        xbom = _xbom(min(year, CALENDAR_FROM))
        listed = xbom.sessions_in_range(pd.Timestamp(first), pd.Timestamp(min(last, horizon)))
        days += [ts.date() for ts in listed]
    if last > horizon:
        days += [ts.date() for ts in pd.bdate_range(max(first, horizon + dt.timedelta(1)), last)]
    return tuple(days)


def trading_days(year: int, known: KnownDays = NO_KNOWN_DAYS) -> tuple[dt.date, ...]:
    """The calendar's sessions of `year` without the known holidays: every day a bar is due."""
    return tuple(d for d in sessions_in_year(year) if d not in known.holidays)


def last_closed_day(now: dt.datetime | None = None) -> dt.date:
    """The latest day whose 15:30 IST close has passed at `now`."""
    now_ist = (now or dt.datetime.now(dt.UTC)).astimezone(IST)
    return now_ist.date() if now_ist.time() >= NSE_CLOSE else now_ist.date() - dt.timedelta(1)


def last_completed_session(
    now: dt.datetime | None = None, known: KnownDays = NO_KNOWN_DAYS
) -> dt.date:
    """The latest session (a known special session included) whose close has passed at `now`."""
    cutoff = last_closed_day(now)
    for year in (cutoff.year, cutoff.year - 1):
        days = {*trading_days(year, known), *(d for d in known.sessions if d.year == year)}
        done = [d for d in days if d <= cutoff]
        if done:
            return max(done)
    raise ValueError(f"No NSE session on or before {cutoff}")


def expected_sessions(
    year: int,
    listed_on: dt.date | None = None,
    now: dt.datetime | None = None,
    known: KnownDays = NO_KNOWN_DAYS,
) -> tuple[dt.date, ...]:
    """Sessions a symbol should have bars for in `year`.

    A symbol listed during the year is expected from its listing date; the current year only up to
    the last completed session; known holidays never.
    """
    last = last_completed_session(now, known)
    return tuple(
        d for d in trading_days(year, known) if d <= last and (listed_on is None or d >= listed_on)
    )
