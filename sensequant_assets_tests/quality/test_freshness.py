"""Freshness on the NSE calendar, with a pinned clock: a session is due at 20:00 IST after its
close; weekends, holidays and special sessions (as coverage_check judges them) never are."""

import datetime as dt

import pytest

from sensequant_assets.market.calendar import IST
from sensequant_assets.paths import DATA_DIR
from sensequant_assets.quality.freshness import (
    FreshnessVerdict,
    freshness_verdict,
    universe_verdict,
)
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days

KNOWN = load_known_days(DATA_DIR / "reference" / SESSIONS_FILE)


def ist(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=IST)


def day(month: int, date: int, year: int = 2025) -> dt.date:
    return dt.date(year, month, date)


@pytest.mark.parametrize(
    ("held", "now", "expected"),
    [
        # Thursday 2025-07-03 is due at 20:00 IST; before that Wednesday's session suffices.
        (day(7, 2), ist(2025, 7, 3, 19, 59), (True, day(7, 2), None)),
        (day(7, 2), ist(2025, 7, 3, 20, 0), (False, day(7, 2), day(7, 3))),
        (day(7, 3), ist(2025, 7, 3, 20, 0), (True, day(7, 3), None)),
        # Two sessions missing: the first one lacking is named.
        (day(7, 1), ist(2025, 7, 3, 21, 0), (False, day(7, 1), day(7, 2))),
        # The weekend: Friday's session is what is due until Monday's cut-off.
        (day(7, 4), ist(2025, 7, 6, 12, 0), (True, day(7, 4), None)),
        (day(7, 4), ist(2025, 7, 7, 20, 30), (False, day(7, 4), day(7, 7))),
        # Independence Day 2025-08-15 (a Friday) is a holiday: Thursday's bar is fresh until
        # Monday evening, and Monday is the session lacking after it.
        (day(8, 14), ist(2025, 8, 16, 10, 0), (True, day(8, 14), None)),
        (day(8, 14), ist(2025, 8, 18, 20, 0), (False, day(8, 14), day(8, 18))),
        # The Muhurat session of 2025-10-21 (sessions.csv) is held where stored but never due,
        # as coverage_check treats it; the next regular session (10-23) is.
        (day(10, 20), ist(2025, 10, 21, 22, 0), (True, day(10, 20), None)),
        (day(10, 21), ist(2025, 10, 22, 22, 0), (True, day(10, 21), None)),
        (day(10, 21), ist(2025, 10, 23, 20, 0), (False, day(10, 21), day(10, 23))),
        # Nothing stored at all: overdue, lacking the due session.
        (None, ist(2025, 7, 3, 20, 0), (False, None, day(7, 3))),
    ],
)
def test_due_session_by_the_evening_cut_off(held, now, expected):
    verdict = freshness_verdict(held, now, KNOWN)
    assert tuple(verdict) == expected


def test_the_overdue_description_names_the_session_held_and_the_one_lacking():
    verdict = freshness_verdict(day(7, 2), ist(2025, 7, 3, 20, 0), KNOWN)
    assert verdict.describe() == "Overdue: holds 2025-07-02, lacks the session of 2025-07-03."
    fresh = FreshnessVerdict(True, day(7, 3), None)
    assert fresh.describe() == "Fresh: holds the session of 2025-07-03."


def test_the_universe_is_as_fresh_as_its_stalest_symbol():
    latest = {"INFY": day(7, 3), "TCS": day(7, 2), "WIPRO": day(7, 1)}
    verdict, behind = universe_verdict(latest, ist(2025, 7, 3, 20, 0), KNOWN)
    assert verdict == FreshnessVerdict(False, day(7, 1), day(7, 2))
    assert behind == ["TCS", "WIPRO"]
    verdict, behind = universe_verdict(latest, ist(2025, 7, 3, 12, 0), KNOWN)
    assert not verdict.fresh and behind == ["WIPRO"]
    assert universe_verdict({}, ist(2025, 7, 3, 12, 0), KNOWN)[0].last_held is None
