"""The reference files users extend: the checked-in rows, and bad rows named by file and line."""

import datetime as dt
from pathlib import Path

import pytest

from sensequant_assets.market.calendar import sessions_in_year
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.universe.reference import (
    CORPORATE_ACTIONS_FILE,
    SESSIONS_FILE,
    ReferenceFileError,
    load_corporate_actions,
    load_known_days,
    load_listing_dates,
)

SESSIONS_HEADER = "# a comment\n\n# another one\ndate,kind,note\n"
ACTIONS_HEADER = "# a comment\nsymbol,ex_date,kind,ratio,note\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_checked_in_sessions_hold_what_xbom_lacks_and_nothing_it_knows() -> None:
    known = load_known_days(REFERENCE_DIR / SESSIONS_FILE)
    muhurat = {dt.date(2022, 10, 24), dt.date(2023, 11, 12), dt.date(2024, 11, 1)}
    assert {*muhurat, dt.date(2025, 10, 21)} <= set(known.sessions)
    assert {dt.date(2024, 3, 2), dt.date(2024, 5, 18), dt.date(2026, 2, 1)} <= set(known.sessions)
    assert "Muhurat" in known.sessions[dt.date(2025, 10, 21)]
    # Only what the calendar gets wrong: no listed session is already an XBOM session (the
    # 2025-02-01 Budget Saturday is one), no listed holiday is a day XBOM already closes.
    xbom = {d for year in range(2022, 2027) for d in sessions_in_year(year)}
    assert dt.date(2025, 2, 1) in xbom and not set(known.sessions) & xbom
    assert set(known.holidays) <= xbom


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("2025-10-21,session,ok\n2025-13-01,session,bad\n", r":6: date is not YYYY-MM-DD"),
        ("2025-10-21,trading,bad\n", r":5: kind must be session or holiday, not 'trading'"),
        ("2025-10-21,session,a\n2025-10-21,holiday,b\n", r":6: 2025-10-21 is listed twice"),
    ],
)
def test_a_bad_session_row_names_its_file_and_line(tmp_path: Path, rows: str, message: str) -> None:
    path = write(tmp_path, SESSIONS_FILE, SESSIONS_HEADER + rows)
    with pytest.raises(ReferenceFileError, match=f"{path}{message}"):
        load_known_days(path)


def test_a_wrong_header_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, SESSIONS_FILE, "day,kind,note\n")
    with pytest.raises(ReferenceFileError, match="header must be date,kind,note"):
        load_known_days(path)


def test_line_numbers_count_comment_lines(tmp_path: Path) -> None:
    """Before, comments were skipped before numbering: a bad line 3 was reported as line 2."""
    path = write(tmp_path, "listings.csv", "# listed late\nsymbol,listed_on\nLICI,17-05-2022\n")
    with pytest.raises(ReferenceFileError, match=r"listings.csv:3: listed_on is not YYYY-MM-DD"):
        load_listing_dates(path)


def test_checked_in_corporate_actions_load_with_their_factors() -> None:
    actions = load_corporate_actions(REFERENCE_DIR / CORPORATE_ACTIONS_FILE)
    by_key = {(r.symbol, r.ex_date.date(), r.kind): r.factor for r in actions.itertuples()}
    assert by_key["TATASTEEL", dt.date(2022, 7, 28), "split"] == 10.0
    assert by_key["RELIANCE", dt.date(2024, 10, 28), "bonus"] == 2.0
    assert by_key["POWERGRID", dt.date(2023, 9, 12), "bonus"] == pytest.approx(4 / 3)
    bajaj = actions[(actions["symbol"] == "BAJFINANCE")]["factor"].prod()
    assert bajaj == pytest.approx(10.0)  # 2:1 split and 4:1 bonus on one ex-date
    assert actions["ex_date"].dt.year.between(2022, 2026).all()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("TATASTEEL,2022-07-28,split,10,x\n", r":3: a split ratio is written a:b"),
        ("TATASTEEL,28/07/2022,split,10:1,x\n", r":3: ex_date is not YYYY-MM-DD"),
        (",2022-07-28,split,10:1,x\n", r":3: symbol is empty"),
        ("TATASTEEL,2022-07-28,merger,1:1,x\n", r":3: kind must be one of split, bonus"),
        (
            "TATASTEEL,2022-07-28,split,10:1,x\nTATASTEEL,2022-07-28,split,10:1,again\n",
            r":4: a second split of TATASTEEL on 2022-07-28",
        ),
    ],
)
def test_a_bad_corporate_action_names_its_file_and_line(
    tmp_path: Path, row: str, message: str
) -> None:
    path = write(tmp_path, CORPORATE_ACTIONS_FILE, ACTIONS_HEADER + row)
    with pytest.raises(ReferenceFileError, match=f"{path}{message}"):
        load_corporate_actions(path)


def test_an_empty_corporate_actions_file_is_no_action(tmp_path: Path) -> None:
    actions = load_corporate_actions(write(tmp_path, CORPORATE_ACTIONS_FILE, ACTIONS_HEADER))
    assert actions.empty and list(actions.columns) == [
        "symbol",
        "ex_date",
        "kind",
        "ratio",
        "factor",
        "note",
    ]
