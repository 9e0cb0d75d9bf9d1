"""Coverage of one symbol-year against the NSE calendar.

The original audit called a symbol "ok" when one CSV existed and counted weekends as gaps. Here a
partition is complete when every session the symbol should have traded (from its listing date, up
to the last completed session) has a bar. The calendar is exchange_calendars' XBOM (weekdays past
its horizon) corrected by `KnownDays`: the reference file data/reference/sessions.csv and what most
symbols' bars show (quality.sessions). Special sessions the calendar does not list (Muhurat
trading, the 2024 disaster-recovery Saturdays) are reported, never counted as gaps or errors; known
holidays are never expected; a bar on any other non-session day is an error, because no real
market produced it.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from sensequant_assets.market.calendar import (
    HORIZON_NOTE,
    NO_KNOWN_DAYS,
    KnownDays,
    beyond_horizon,
    expected_sessions,
    last_completed_session,
    sessions_in_year,
)

Verdict = Literal["complete", "partial", "empty", "no_sessions"]

# How many offending dates a message or metadata entry shows before summarising the rest.
SHOWN_DATES = 5


@dataclass(frozen=True)
class CoverageResult:
    symbol: str
    year: int
    listed_on: dt.date | None
    expected: tuple[dt.date, ...]
    found: tuple[dt.date, ...]
    missing: tuple[dt.date, ...]
    special_sessions: dict[dt.date, str]
    """Bars on special sessions the calendar does not list, with why each is one."""
    holidays: dict[dt.date, str]
    """Calendar sessions of the expected span that are known holidays, with why."""
    unexpected: dict[dt.date, str]
    """Bars no session explains, with why (non-session day, before listing, not yet closed)."""
    beyond_horizon: bool = False
    """The year reaches past exchange_calendars' horizon: its sessions are weekdays, corrected."""
    last_session: dt.date | None = None
    """The last session of a listing that ended (listings.csv): nothing is expected after it."""

    @property
    def bar_count(self) -> int:
        return len(self.found) + len(self.special_sessions) + len(self.unexpected)

    @property
    def verdict(self) -> Verdict:
        if not self.expected and not self.bar_count:
            return "no_sessions"
        if self.bar_count == 0:
            return "empty"
        if self.missing or self.unexpected:
            return "partial"
        return "complete"

    @property
    def passed(self) -> bool:
        return self.verdict in ("complete", "no_sessions")

    @property
    def partition(self) -> str:
        return f"{self.symbol}|{self.year}"

    def describe(self) -> str:
        """One human sentence: what is wrong, or what was found."""
        notes = (
            f"; {len(self.special_sessions)} special session(s) present "
            f"({format_dates(list(self.special_sessions))})"
            if self.special_sessions
            else ""
        ) + (f"; {HORIZON_NOTE}" if self.beyond_horizon else "")
        if self.verdict == "no_sessions":
            since = f" (listed {self.listed_on})" if self.listed_on else ""
            if self.last_session and self.last_session.year <= self.year:
                since = f" (its listing ended with the session of {self.last_session})"
            return f"No sessions expected for {self.symbol} in {self.year}{since}, and no bars."
        if self.verdict == "empty":
            return (
                f"The source returned no bars for {self.symbol} in {self.year}: "
                f"{len(self.expected)} sessions expected{_listing_note(self)}. Re-fetch the "
                "partition, or correct its listing date in data/reference/listings.csv"
                f"{notes}."
            )
        problems = []
        if self.missing:
            problems.append(
                f"{len(self.missing)} missing session(s) ({format_dates(self.missing)})"
            )
        if self.unexpected:
            shown = list(self.unexpected.items())[:SHOWN_DATES]
            problems.append(
                f"{len(self.unexpected)} bar(s) on days that are not sessions ("
                + ", ".join(f"{day} {why}" for day, why in shown)
                + (" ..." if len(self.unexpected) > SHOWN_DATES else "")
                + ")"
            )
        if problems:
            return "; ".join(problems) + notes
        return f"All {len(self.expected)} expected sessions present{_listing_note(self)}" + notes

    def metadata(self) -> dict[str, object]:
        """The evidence the UI shows next to the verdict."""
        return {
            "verdict": self.verdict,
            "expected_sessions": len(self.expected),
            "found_sessions": len(self.found),
            "bar_count": self.bar_count,
            "missing_count": len(self.missing),
            "first_missing_dates": [d.isoformat() for d in self.missing[:SHOWN_DATES]],
            "special_sessions": {d.isoformat(): why for d, why in self.special_sessions.items()},
            "holidays_excluded": {d.isoformat(): why for d, why in self.holidays.items()},
            "unexpected_count": len(self.unexpected),
            "first_unexpected_dates": {
                d.isoformat(): why for d, why in list(self.unexpected.items())[:SHOWN_DATES]
            },
            "expected_from": self.expected[0].isoformat() if self.expected else "",
            "expected_to": self.expected[-1].isoformat() if self.expected else "",
            "listed_on": self.listed_on.isoformat() if self.listed_on else "",
            "last_session": self.last_session.isoformat() if self.last_session else "",
            "calendar": HORIZON_NOTE if self.beyond_horizon else "exchange_calendars XBOM",
        }


def check_coverage(
    bars: pd.DataFrame,
    symbol: str,
    year: int,
    listed_on: dt.date | None = None,
    now: dt.datetime | None = None,
    known: KnownDays = NO_KNOWN_DAYS,
    last_session: dt.date | None = None,
) -> CoverageResult:
    """Compare one symbol-year's bar dates (the frame's `date` column) with the calendar, as
    corrected by `known` (the reference file and the cross-symbol evidence). A listing that
    ended (`last_session`) is expected to trade up to that session and to have no bar after."""
    expected = expected_sessions(year, listed_on, now, known)
    if last_session is not None:
        expected = tuple(day for day in expected if day <= last_session)
    expected_set = set(expected)
    last = last_completed_session(now, known)
    days = sorted({ts.date() for ts in pd.to_datetime(bars["date"])})
    found, specials, unexpected = [], {}, {}
    for day in days:
        if day in expected_set:
            found.append(day)
        elif day.year != year:
            unexpected[day] = f"is outside {year}"
        elif day > last:
            unexpected[day] = f"is after the last completed session {last}"
        elif last_session is not None and day > last_session:
            unexpected[day] = f"is after the listing's last session {last_session}"
        elif listed_on is not None and day < listed_on:
            unexpected[day] = f"is before the listing date {listed_on}"
        elif day in known.sessions:
            specials[day] = known.sessions[day]
        elif day in known.holidays:
            unexpected[day] = f"is a market holiday ({known.holidays[day]})"
        else:
            unexpected[day] = f"is a {day:%A} the NSE calendar does not list as a session"
    found_set = set(found)
    calendar = set(sessions_in_year(year))
    return CoverageResult(
        symbol=symbol,
        year=year,
        listed_on=listed_on,
        expected=expected,
        found=tuple(found),
        missing=tuple(d for d in expected if d not in found_set),
        special_sessions=specials,
        holidays={
            day: why
            for day, why in sorted(known.holidays.items())
            if day in calendar and day <= last and (listed_on is None or day >= listed_on)
        },
        unexpected=unexpected,
        beyond_horizon=beyond_horizon(year),
        last_session=last_session,
    )


def coverage_description(
    result: CoverageResult, mapping_problem: str | None, materialized: bool
) -> str:
    """What coverage_check shows: why a partition with no bars has none (its symbol unmapped, or
    never materialized) before the plain verdict."""
    if result.bar_count == 0 and result.expected:
        if mapping_problem:
            return f"No bars, because the symbol is unmapped: {mapping_problem}"
        if not materialized:
            return (
                f"daily_bars[{result.partition}] has never been materialized; "
                "materialize it, then re-run this check."
            )
    return result.describe()


def format_dates(dates: tuple[dt.date, ...] | list[dt.date], limit: int = SHOWN_DATES) -> str:
    shown = ", ".join(d.isoformat() for d in dates[:limit])
    return shown + (f" and {len(dates) - limit} more" if len(dates) > limit else "")


def _listing_note(result: CoverageResult) -> str:
    if result.listed_on and result.expected and result.listed_on.year == result.year:
        return f" from the listing date {result.listed_on}"
    return ""
