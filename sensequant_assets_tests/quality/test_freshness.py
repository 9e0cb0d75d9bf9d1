"""Freshness on the NSE calendar, with a pinned clock: a session is due at 20:00 IST after its
close; weekends, holidays and special sessions (as coverage_check judges them) never are. A
model is due to hold the bars stored before the next 09:00 IST cut-off."""

import datetime as dt

import pytest

from sensequant_assets.market.calendar import IST
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.quality.freshness import (
    FreshnessVerdict,
    StoredBars,
    TrainedModel,
    freshness_verdict,
    last_cutoff,
    model_verdict,
    teacher_description,
    universe_verdict,
)
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days

KNOWN = load_known_days(REFERENCE_DIR / SESSIONS_FILE)


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


def bars_at(version: str, stored_at: dt.datetime, last: str = "2025-07-03") -> StoredBars:
    return StoredBars(version=version, stored_at=stored_at, last_date=last)


MODEL = TrainedModel(bars_versions={"TCS|2024": "a", "TCS|2025": "b"}, last_session="2025-07-02")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (ist(2025, 7, 4, 8, 59), ist(2025, 7, 3, 9, 0)),
        (ist(2025, 7, 4, 9, 0), ist(2025, 7, 4, 9, 0)),
        (dt.datetime(2025, 7, 4, 3, 30, tzinfo=dt.UTC), ist(2025, 7, 4, 9, 0)),  # 09:00 IST
    ],
)
def test_the_teacher_cut_off_is_the_latest_09_00_ist(now, expected):
    assert last_cutoff(now) == expected


def test_a_model_lacks_the_bars_changed_before_the_cut_off_and_waits_for_those_after():
    cutoff = ist(2025, 7, 4, 9, 0)
    bars = {
        "TCS|2024": bars_at("a", ist(2025, 7, 1, 18, 0), "2024-12-31"),  # as trained
        "TCS|2025": bars_at("c", ist(2025, 7, 3, 18, 0)),  # a new session, before the cut-off
        "TCS|2026": bars_at("d", ist(2025, 7, 4, 9, 30)),  # a new year, after it
    }
    verdict = model_verdict("TCS", MODEL, bars, cutoff)
    assert verdict.overdue
    assert (verdict.lacking, verdict.pending) == (["TCS|2025"], ["TCS|2026"])
    assert verdict.describe() == (
        "TCS holds bars through 2025-07-02, lacks TCS|2025 (bars through 2025-07-03, stored "
        "2025-07-03 18:00 IST)"
    )
    unchanged = {
        key: bars_at(MODEL.bars_versions[key], ist(2025, 7, 3, 18, 0))
        for key in MODEL.bars_versions
    }
    assert not model_verdict("TCS", MODEL, unchanged, cutoff).overdue


def test_the_teacher_description_names_each_model_behind_and_counts_the_pending():
    cutoff = ist(2025, 7, 4, 9, 0)
    behind = model_verdict("TCS", MODEL, {"TCS|2025": bars_at("c", ist(2025, 7, 3, 18, 0))}, cutoff)
    waiting = model_verdict(
        "INFY", MODEL, {"TCS|2025": bars_at("c", ist(2025, 7, 4, 18, 0))}, cutoff
    )
    fresh = model_verdict("WIPRO", MODEL, {}, cutoff)
    assert teacher_description([fresh, waiting], cutoff) == (
        "Fresh: 2 model(s) hold the bars stored before the 09:00 IST cut-off of 2025-07-04. "
        "1 retrain(s) pending on bars stored since: INFY."
    )
    assert teacher_description([behind, fresh], cutoff) == (
        "Overdue: 1 of 2 model(s) lack bars stored before the 09:00 IST cut-off of 2025-07-04: "
        "TCS holds bars through 2025-07-02, lacks TCS|2025 (bars through 2025-07-03, stored "
        "2025-07-03 18:00 IST)."
    )
