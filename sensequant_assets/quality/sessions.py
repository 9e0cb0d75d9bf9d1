"""Sessions from evidence: what the bars of many symbols say about the calendar.

The calendar (exchange_calendars' XBOM plus data/reference/sessions.csv) can still be wrong: a
special session announced after the package was released, a holiday declared late, and every
holiday past XBOM's horizon. The bars of many symbols settle it, one date at a time:

- a date outside the calendar on which MORE THAN HALF of its witnesses have a bar is a session
  the calendar missed;
- a calendar date on which NONE of its witnesses has a bar is a market holiday.

A symbol witnesses a date when its bars of that year start on or before the date and end on or
after it: a symbol listed later, or one whose source has not delivered today's bar yet, says
nothing about the date. The witnesses are every symbol stored in the warehouse for that year, not
only the partitions of one run, so the coverage check of a single re-run partition, the teacher
gate and the coverage report judge a partition alike.

With fewer than MIN_WITNESSES witnesses a date is not judged: coverage follows the calendar and
the reference file alone (a bar on an unlisted day fails, a missing day is a gap), and the batch
report lists such dates as undecided. One exception: in a year past exchange_calendars' horizon
whose holiday list the reference file lacks (every January, until someone adds NSE's list), the
calendar is only "every weekday", so a weekday no symbol has a bar for is taken as a holiday
(`assumed`), however few symbols cover it: today's Republic Day must not read as a gap or an
overdue session just because no bar after it exists yet. The reports then say, once, that the
list is missing and how to add it. Neither finding fails a symbol's coverage: a found session
is accepted like a reference one, a found holiday is not expected. Both are reported once per
batch, each with the exact line to add to the reference file.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np

from sensequant_assets.market.calendar import (
    HORIZON_NOTE,
    KnownDays,
    beyond_horizon,
    calendar_horizon,
    guessed_sessions,
    holiday_list_missing,
    last_closed_day,
    trading_days,
)
from sensequant_assets.quality.coverage import SHOWN_DATES
from sensequant_assets.universe.reference import SESSIONS_FILE
from sensequant_assets.warehouse.bar_days import BarDays

MIN_WITNESSES = 5
"""Fewest symbols whose bars span a date before the data may overrule the calendar on it."""
SESSION_SHARE = 0.5
"""Share of a date's witnesses that must have a bar on it (strictly more) to make it a session."""
REFERENCE_FILE = f"data/reference/{SESSIONS_FILE}"
ASSUMED_HOLIDAY = (
    f"taken as a holiday: a weekday past the exchange calendar, in a year {REFERENCE_FILE} has no "
    "holiday list for, and no symbol has a bar for it"
)


@dataclass(frozen=True)
class DayFinding:
    """One date the bars judge differently from the calendar, with the counts behind it."""

    day: dt.date
    kind: Literal["session", "holiday"]
    with_bars: int
    witnesses: int
    listed_as: str = ""
    """The reference file's kind for this date when it says the opposite, else ''."""

    @property
    def note(self) -> str:
        if self.kind == "session":
            return f"seen in the data: {self.with_bars} of {self.witnesses} symbols have bars"
        return f"seen in the data: none of {self.witnesses} symbols has a bar"

    @property
    def reference_line(self) -> str:
        """The exact line that records this finding in the reference file."""
        return f"{self.day.isoformat()},{self.kind},{self.note}"

    @property
    def instruction(self) -> str:
        if self.listed_as:
            return (
                f"replace the {self.listed_as} row of {self.day} in {REFERENCE_FILE} with "
                f"`{self.reference_line}`"
            )
        return f"add `{self.reference_line}` to {REFERENCE_FILE}"


@dataclass(frozen=True)
class SessionEvidence:
    """The reference file's corrections, and what the bars of `years` add to them."""

    reference: KnownDays
    years: tuple[int, ...]
    sessions: tuple[DayFinding, ...]
    holidays: tuple[DayFinding, ...]
    undecided: tuple[DayFinding, ...]
    """Dates outside the calendar with bars but too few witnesses to judge."""
    assumed: tuple[dt.date, ...] = ()
    """Guessed sessions (`market.calendar.guessed_sessions`: a year with no holiday list) that
    no symbol has a bar for and too few symbols cover to judge: taken as holidays until a bar
    shows otherwise."""

    @property
    def findings(self) -> tuple[DayFinding, ...]:
        return tuple(sorted(self.sessions + self.holidays, key=lambda f: f.day))

    @cached_property
    def known(self) -> KnownDays:
        """What coverage applies: the reference file and the findings.

        A finding that contradicts a reference row leaves the date both a known session and a
        known holiday: never expected, accepted when present, which is all coverage needs.
        """
        found = KnownDays(
            sessions={f.day: f"session {f.note}; not in {REFERENCE_FILE}" for f in self.sessions},
            holidays={
                **{day: ASSUMED_HOLIDAY for day in self.assumed},
                **{f.day: f"holiday {f.note}; not in {REFERENCE_FILE}" for f in self.holidays},
            },
        )
        return found.merged(self.reference)

    @property
    def passed(self) -> bool:
        """No day the bars contradict, and no year judged without its holiday list (a WARN the
        UI shows until the list is added)."""
        return not self.findings and not self.missing_lists

    @property
    def horizon_years(self) -> tuple[int, ...]:
        return tuple(year for year in self.years if beyond_horizon(year))

    @property
    def missing_lists(self) -> tuple[int, ...]:
        """Years past the horizon whose holidays the reference file lists none of."""
        return tuple(year for year in self.years if holiday_list_missing(year, self.reference))

    def missing_list_note(self) -> str:
        """One sentence for the UI: which years lack their holiday list, what the platform does
        meanwhile, and the lines to add; '' when no year lacks one."""
        if not self.missing_lists:
            return ""
        years = ", ".join(map(str, self.missing_lists))
        assumed = (
            " (so far: " + ", ".join(d.isoformat() for d in self.assumed[:SHOWN_DATES]) + ")"
            if self.assumed
            else ""
        )
        return (
            f"No holiday list for {years} in {REFERENCE_FILE} (exchange_calendars ends "
            f"{calendar_horizon()}; NSE publishes next year's list in mid-December). Until it is "
            "added, the bars decide: a weekday no symbol has a bar for is taken as a holiday"
            f"{assumed}, never a gap or an overdue session. Add each holiday of NSE's circular "
            f"as a line `{self.missing_lists[0]}-01-26,holiday,Republic Day` (date,holiday,name) "
            f"to {REFERENCE_FILE} (or SENSEQUANT_REFERENCE_DIR); the next check run uses it."
        )

    def describe(self) -> str:
        """One paragraph for the batch-level check: what the bars show, and what to add."""
        span = f"{self.years[0]}-{self.years[-1]}" if self.years else "no year"
        if self.findings:
            shown = "; ".join(f"{f.day}: {f.instruction}" for f in self.findings[:SHOWN_DATES])
            more = " ..." if len(self.findings) > SHOWN_DATES else ""
            text = (
                f"{len(self.findings)} day(s) in {span} the calendar gets wrong, seen in the "
                f"bars: {shown}{more}"
            )
        else:
            text = (
                f"The bars of {span} agree with the calendar and {REFERENCE_FILE} on every day at "
                f"least {MIN_WITNESSES} symbols cover."
            )
        if self.undecided:
            text += (
                f" {len(self.undecided)} day(s) outside the calendar have bars but fewer than "
                f"{MIN_WITNESSES} symbols cover them, too few to judge: "
                + ", ".join(
                    f"{f.day} ({f.with_bars} of {f.witnesses})"
                    for f in self.undecided[:SHOWN_DATES]
                )
                + "."
            )
        if self.horizon_years:
            years = ", ".join(map(str, self.horizon_years))
            text += f" {years}: {HORIZON_NOTE} (exchange_calendars ends {calendar_horizon()})."
        if note := self.missing_list_note():
            text += f" {note}"
        return text

    def metadata(self) -> dict[str, object]:
        return {
            "sessions_found": {f.day.isoformat(): f.note for f in self.sessions},
            "holidays_found": {f.day.isoformat(): f.note for f in self.holidays},
            "lines_to_add": [f.reference_line for f in self.findings],
            "undecided": {f.day.isoformat(): f.note for f in self.undecided},
            "min_witnesses": MIN_WITNESSES,
            "session_share": SESSION_SHARE,
            "calendar_horizon": calendar_horizon().isoformat(),
            "years_beyond_horizon": list(self.horizon_years),
            "holiday_lists_missing": list(self.missing_lists),
            "holidays_assumed": [day.isoformat() for day in self.assumed],
        }

    def markdown(self) -> list[str]:
        """Lines for the coverage report: each finding with the line to add, then the rest."""
        if not (self.findings or self.undecided or self.horizon_years):
            return []
        lines = ["", "Calendar evidence:"]
        lines += [f"- {f.day}: {f.instruction}" for f in self.findings]
        lines += [
            f"- {f.day}: bars outside the calendar, {f.with_bars} of {f.witnesses} symbols: too "
            f"few (fewer than {MIN_WITNESSES}) to judge"
            for f in self.undecided
        ]
        lines += [f"- {year}: {HORIZON_NOTE}" for year in self.horizon_years]
        if note := self.missing_list_note():
            lines.append(f"- {note}")
        return lines


def find_calendar_evidence(
    days: BarDays,
    years: Iterable[int],
    reference: KnownDays,
    now: dt.datetime | None = None,
) -> SessionEvidence:
    """Judge every date of `years` up to the last closed day against the calendar."""
    cutoff = last_closed_day(now)
    firsts = np.sort(np.array([first for first, _ in days.spans], dtype="datetime64[D]"))
    lasts = np.sort(np.array([last for _, last in days.spans], dtype="datetime64[D]"))

    def witnesses(day: dt.date) -> int:
        when = np.datetime64(day, "D")
        return int(np.searchsorted(firsts, when, "right") - np.searchsorted(lasts, when, "left"))

    def listed_as(day: dt.date, kind: str) -> str:
        opposite = "holiday" if kind == "session" else "session"
        table = reference.holidays if kind == "session" else reference.sessions
        return opposite if day in table else ""

    wanted = tuple(sorted(set(years)))
    sessions, holidays, undecided, assumed = [], [], [], []
    for year in wanted:
        guessed = set(guessed_sessions(year, reference))
        regular = [d for d in trading_days(year, reference) if d <= cutoff]
        calendar = {*regular, *(d for d in reference.sessions if d.year == year)}
        for day in sorted(d for d in days.symbols_on if d.year == year and d <= cutoff):
            if day in calendar:
                continue
            finding = DayFinding(
                day, "session", days.symbols_on[day], witnesses(day), listed_as(day, "session")
            )
            if finding.witnesses < MIN_WITNESSES:
                undecided.append(finding)
            elif finding.with_bars > SESSION_SHARE * finding.witnesses:
                sessions.append(finding)
        for day in regular:
            if day in days.symbols_on:
                continue
            if (seen := witnesses(day)) >= MIN_WITNESSES:
                holidays.append(DayFinding(day, "holiday", 0, seen, listed_as(day, "holiday")))
            elif day in guessed:
                assumed.append(day)
    return SessionEvidence(
        reference=reference,
        years=wanted,
        sessions=tuple(sessions),
        holidays=tuple(holidays),
        undecided=tuple(undecided),
        assumed=tuple(assumed),
    )
