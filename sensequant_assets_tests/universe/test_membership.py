"""Index membership as data: dated lists, their spells, renames and stale names."""

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pytest

from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.universe.constituents import ConstituentListError, read_constituent_file
from sensequant_assets.universe.membership import (
    is_member,
    membership_markdown,
    membership_spells,
    read_lists,
    stale_members,
)
from sensequant_assets.universe.reference import (
    MEMBERSHIP_DIR,
    SYMBOL_CHANGES_FILE,
    ReferenceFileError,
    load_listing_dates,
    load_symbol_changes,
)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def spells_of(folder: Path, renames: dict[str, str] | None = None) -> pd.DataFrame:
    lists, problems = read_lists([folder])
    assert problems == []
    return membership_spells(lists, renames or {})


def spell_table(spells: pd.DataFrame) -> list[tuple[str, str, str | None]]:
    return [
        (
            row.symbol,
            row.member_from.date().isoformat(),
            None if pd.isna(row.member_to) else row.member_to.date().isoformat(),
        )
        for row in spells.itertuples()
    ]


def test_spells_from_dated_lists_with_a_name_that_leaves_and_returns(tmp_path: Path) -> None:
    write(tmp_path, "nifty100_2022-01-03.txt", "AAA\nBBB\nCCC\n")
    write(tmp_path, "nifty100_2022-09-30.txt", "AAA\nBBB\nDDD\n")  # CCC leaves, DDD joins
    write(tmp_path, "nifty100_2023-03-31.txt", "AAA\nDDD\n")  # BBB leaves
    write(tmp_path, "later.txt", "# index: NIFTY 100\n# effective: 2024-03-28\nAAA\nDDD\nCCC\n")
    spells = spells_of(tmp_path)
    assert set(spells["index_name"]) == {"nifty100"}
    assert spell_table(spells) == [
        ("AAA", "2022-01-03", None),
        ("BBB", "2022-01-03", "2023-03-30"),
        ("CCC", "2022-01-03", "2022-09-29"),
        ("CCC", "2024-03-28", None),  # returns: a second spell
        ("DDD", "2022-09-30", None),
    ]
    ccc = spells[spells["symbol"] == "CCC"]
    assert ccc["left_in"].tolist() == ["nifty100_2022-09-30.txt", None]
    assert ccc["joined_in"].tolist() == ["nifty100_2022-01-03.txt", "later.txt"]
    assert spells.loc[spells["symbol"] == "BBB", "last_listed"].dt.date.tolist() == [
        dt.date(2022, 9, 30)
    ]

    days = pd.Series(pd.to_datetime(["2022-06-01", "2023-01-02", "2024-04-01", "2021-12-31"]))
    assert is_member(spells, pd.Series(["CCC"] * 4), days).tolist() == [True, False, True, False]
    assert is_member(spells, pd.Series(["ZZZ"]), days[:1]).tolist() == [False]


def test_a_renamed_ticker_is_one_spell_under_its_new_symbol(tmp_path: Path) -> None:
    write(tmp_path, "idx_2022-01-03.txt", "LTI\nAAA\n")
    write(tmp_path, "idx_2022-11-28.txt", "LTIM\nAAA\n")
    spells = spells_of(tmp_path, renames={"LTI": "LTIM"})
    assert spell_table(spells) == [("AAA", "2022-01-03", None), ("LTIM", "2022-01-03", None)]
    assert spells.loc[spells["symbol"] == "LTIM", "listed_as"].item() == "LTI, LTIM"


def test_an_undated_list_means_members_from_when_its_file_changed(tmp_path: Path) -> None:
    write(tmp_path, "idx_2022-01-03.txt", "AAA\nBBB\n")
    undated = write(tmp_path, "idx.txt", "# index: idx\nAAA\nCCC\n")
    changed = dt.datetime(2025, 2, 3, 12, 0).timestamp()
    os.utime(undated, (changed, changed))
    assert spell_table(spells_of(tmp_path)) == [
        ("AAA", "2022-01-03", None),
        ("BBB", "2022-01-03", "2025-02-02"),
        ("CCC", "2025-02-03", None),
    ]


def test_lists_of_one_index_on_one_date_are_one_list_in_parts(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "# index: idx\n# effective: 2023-01-02\nAAA\n")
    write(tmp_path, "b.txt", "# index: idx\n# effective: 2023-01-02\nBBB\n")
    spells = spells_of(tmp_path)
    assert spell_table(spells) == [("AAA", "2023-01-02", None), ("BBB", "2023-01-02", None)]
    assert set(spells["joined_in"]) == {"a.txt, b.txt"}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("x.txt", "AAA\n# effective: 2024-02-30\n", r"x\.txt:2: effective date '2024-02-30'"),
        ("x.txt", "# effective: 28/03/2024\nAAA\n", r"x\.txt:1: effective date '28/03/2024'"),
        ("x.txt", "# effective: 2024-03-28\n# effective: 2024-03-29\n", r"x\.txt:2: a second"),
        ("i_2024-13-01.txt", "AAA\n", r"i_2024-13-01\.txt: the file name's date"),
        ("i_2024-03-28.txt", "# effective: 2024-03-29\n", r":1: effective date 2024-03-29 disag"),
        ("x.txt", "# index: NIFTY|100\nAAA\n", r"x\.txt:1: index 'NIFTY\|100'"),
    ],
)
def test_a_bad_date_or_index_names_the_file_and_line(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(ConstituentListError, match=message):
        read_constituent_file(path)
    lists, problems = read_lists([tmp_path])
    assert lists == [] and len(problems) == 1 and "left out of universe_membership" in problems[0]


def test_a_list_naming_a_company_after_its_listing_ended_is_stale(tmp_path: Path) -> None:
    write(tmp_path, "idx_2023-01-02.txt", "HDFC\nAAA\n")
    write(tmp_path, "idx_2023-07-13.txt", "AAA\n")
    ends = {"HDFC": dt.date(2023, 7, 12)}
    assert stale_members(spells_of(tmp_path), ends) == []  # dropped the day after: fine
    write(tmp_path, "idx_2023-07-13.txt", "AAA\nHDFC\n")
    [problem] = stale_members(spells_of(tmp_path), ends)
    assert "HDFC is still named by a idx list that took effect on 2023-07-13" in problem
    assert "ended with the session of 2023-07-12" in problem


def test_symbol_changes_follow_chains_and_refuse_circles(tmp_path: Path) -> None:
    header = "old_symbol,new_symbol,changed_on,note\n"
    chain = write(tmp_path, "c.csv", header + "A,B,2022-01-01,\nB,C,2023-01-01,\n")
    assert load_symbol_changes(chain) == {"A": "C", "B": "C"}
    circle = write(tmp_path, "o.csv", header + "A,B,2022-01-01,\nB,A,2023-01-01,\n")
    with pytest.raises(ReferenceFileError, match="in a circle"):
        load_symbol_changes(circle)
    bad = write(tmp_path, "b.csv", header + "A,B,someday,\n")
    with pytest.raises(ReferenceFileError, match=r"b\.csv:2: changed_on"):
        load_symbol_changes(bad)
    assert load_symbol_changes(tmp_path / "absent.csv") == {}


def test_the_shipped_history_holds_joins_exits_a_merger_a_delisting_and_a_rename() -> None:
    lists, problems = read_lists([REFERENCE_DIR / MEMBERSHIP_DIR])
    assert problems == [] and all(d.constituents.effective for d in lists)
    spells = membership_spells(lists, load_symbol_changes(REFERENCE_DIR / SYMBOL_CHANGES_FILE))
    table = spell_table(spells)
    assert ("HDFC", "2022-01-03", "2023-07-12") in table  # merged into HDFCBANK
    assert ("MINDTREE", "2022-01-03", "2022-11-27") in table  # delisted on its merger
    assert ("LTIM", "2022-01-03", None) in table  # LTI renamed: one spell
    assert ("LICI", "2022-09-30", None) in table  # joins after its listing
    assert ("YESBANK", "2022-01-03", "2023-03-30") in table  # leaves, keeps trading
    assert [row for row in table if row[0] == "IDEA"] == [
        ("IDEA", "2022-01-03", "2022-09-29"),
        ("IDEA", "2024-03-28", None),
    ]
    assert stale_members(spells, load_listing_dates(REFERENCE_DIR / "listings.csv").ends) == []
    markdown = membership_markdown(spells, dt.date(2025, 6, 30))
    assert markdown.startswith("![members over time](data:image/png;base64,iVBOR")
    assert "| nifty100     | HDFC " in markdown


def test_the_renamed_ticker_keeps_its_isec_code_in_the_synthetic_source() -> None:
    source = SyntheticSource()
    old, new = source.lookup("LTI", "LTI"), source.lookup("LTIM", "LTIM")
    assert old.status == new.status == "success"
    assert old.isec_code == new.isec_code
    assert load_symbol_changes(REFERENCE_DIR / SYMBOL_CHANGES_FILE) == {"LTI": "LTIM"}
