"""Index membership as data: which names belonged to which index when.

Each constituent list of an index is that index's whole membership from its effective date on
(universe/constituents.py says how a list is dated). Read in date order, the lists give each
symbol's spells: it joins on the date of the first list that names it and leaves the day before
the first later list that does not. A name that left keeps its spell (its bars and history
stay); a name that returns gets a second spell. An undated list takes effect on `undated_on`
(the day its file was last changed, for lists read from disk): members from then on, as an
undated list has always meant. Several lists of one index on one date are one list in parts.

Old tickers are recorded under the company's newest symbol (symbol_changes.csv), so a rename is
one continuous spell, not an exit and a join; `listed_as` keeps the names the lists used.
"""

import base64
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sensequant_assets.universe.constituents import (
    ConstituentList,
    ConstituentListError,
    list_files,
    read_constituent_file,
)

SPELL_COLUMNS = (
    "index_name",
    "symbol",
    "member_from",
    "member_to",
    "last_listed",
    "joined_in",
    "left_in",
    "listed_as",
)


@dataclass(frozen=True)
class DatedList:
    """A list with the date it takes effect (its own, or the undated lists' date)."""

    constituents: ConstituentList
    effective: dt.date


def read_lists(folders: Iterable[Path]) -> tuple[list[DatedList], list[str]]:
    """Every list of the folders that exist, each dated (an undated one by its file's
    modification day), and the problems of those that cannot be read (file and line named).
    A list that cannot be read is left out whole: a half-read list would end spells it holds."""
    lists: list[DatedList] = []
    problems: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in list_files(folder):
            try:
                parsed = read_constituent_file(path)
            except ConstituentListError as exc:
                problems.append(f"{exc}; the list is left out of universe_membership")
                continue
            problems.extend(f"skipped bad line {bad}" for bad in parsed.bad_lines)
            effective = parsed.effective or dt.date.fromtimestamp(path.stat().st_mtime)
            lists.append(DatedList(parsed, effective))
    return lists, problems


def membership_spells(lists: Iterable[DatedList], renames: Mapping[str, str]) -> pd.DataFrame:
    """One row per spell (columns `SPELL_COLUMNS`), per index and symbol in date order;
    `member_to` is the last day of a closed spell (the day before the list that dropped the
    name took effect) and missing for a name still a member."""
    by_index: dict[str, dict[dt.date, list[ConstituentList]]] = {}
    for dated in lists:
        index = dated.constituents.index_name
        by_index.setdefault(index, {}).setdefault(dated.effective, []).append(dated.constituents)
    rows: list[dict[str, object]] = []
    for index, by_date in sorted(by_index.items()):
        open_spells: dict[str, dict[str, object]] = {}
        for effective, parts in sorted(by_date.items()):
            names: dict[str, list[str]] = {}
            for part in parts:
                for symbol in part.symbols:
                    names.setdefault(renames.get(symbol, symbol), []).append(symbol)
            files = ", ".join(sorted(part.path.name for part in parts))
            for symbol in sorted(set(open_spells) - set(names)):
                spell = open_spells.pop(symbol)
                rows.append(
                    {**spell, "member_to": effective - dt.timedelta(days=1), "left_in": files}
                )
            for symbol, listed_as in names.items():
                spell = open_spells.setdefault(
                    symbol,
                    {
                        "index_name": index,
                        "symbol": symbol,
                        "member_from": effective,
                        "member_to": None,
                        "last_listed": effective,
                        "joined_in": files,
                        "left_in": None,
                        "listed_as": [],
                    },
                )
                spell["last_listed"] = effective
                for name in listed_as:
                    if name not in spell["listed_as"]:
                        spell["listed_as"].append(name)
        rows.extend(open_spells.values())
    frame = pd.DataFrame(rows, columns=list(SPELL_COLUMNS))
    frame["listed_as"] = frame["listed_as"].map(", ".join)
    for column in ("member_from", "member_to", "last_listed"):
        frame[column] = pd.to_datetime(frame[column])
    return frame.sort_values(["index_name", "symbol", "member_from"], ignore_index=True)


def is_member(spells: pd.DataFrame, symbols: pd.Series, dates: pd.Series) -> pd.Series:
    """Whether each (symbol, date) pair lies inside one of `spells`' spells (of one index)."""
    pairs = pd.DataFrame(
        {"symbol": symbols.to_numpy(), "date": pd.to_datetime(dates).to_numpy()}
    ).reset_index()
    joined = pairs.merge(spells.loc[:, ["symbol", "member_from", "member_to"]], on="symbol")
    inside = (joined["date"] >= joined["member_from"]) & (
        joined["member_to"].isna() | (joined["date"] <= joined["member_to"])
    )
    members = set(joined.loc[inside, "index"])
    return pd.Series([i in members for i in range(len(pairs))], index=symbols.index)


def members_over_time(spells: pd.DataFrame, until: dt.date) -> pd.DataFrame:
    """Members per index on every day a list took effect or a spell ended, and on `until`:
    the plot's steps."""
    ends = spells["member_to"].dropna() + pd.Timedelta(days=1)
    days = sorted({*spells["member_from"], *ends, pd.Timestamp(until)})
    counts = {
        index: [
            int(
                (
                    (group["member_from"] <= day)
                    & (group["member_to"].isna() | (group["member_to"] >= day))
                ).sum()
            )
            for day in days
        ]
        for index, group in spells.groupby("index_name")
    }
    return pd.DataFrame(counts, index=pd.DatetimeIndex(days))


def stale_members(spells: pd.DataFrame, ends: Mapping[str, dt.date]) -> list[str]:
    """Spells in which a list dated after the end of the symbol's listing (listings.csv
    `last_session`) still names it: a stale list that keeps a delisted or merged-away company
    in its index. Each message names the symbol, the index, the date and what to do."""
    problems = []
    for spell in spells.itertuples():
        last = ends.get(str(spell.symbol))
        if last is not None and spell.last_listed.date() > last:
            problems.append(
                f"{spell.symbol} is still named by a {spell.index_name} list that took effect "
                f"on {spell.last_listed.date()} (joined in {spell.joined_in}), but its listing "
                f"ended with the session of {last} (listings.csv): drop it from the lists "
                "dated after that, or correct its last_session"
            )
    return problems


def members_chart_png(spells: pd.DataFrame, until: dt.date) -> bytes:
    """Members of each index over time, as a step line: a reconstitution is a step, a name
    that left is one fewer until the list that replaced it."""
    # Imported here: matplotlib costs ~0.3 s, which every run process would pay at start-up.
    from matplotlib.figure import Figure

    counts = members_over_time(spells, until)
    figure = Figure(figsize=(7.0, 2.6), dpi=80)
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.18, top=0.85)
    axes = figure.subplots()
    for index in counts.columns:
        # An index is drawn from its first list on (an undated list's is the day it changed).
        since = counts.index >= spells.loc[spells["index_name"] == index, "member_from"].min()
        axes.step(
            counts.index[since],
            counts[index][since].to_numpy(),
            where="post",
            marker=".",
            label=index,
        )
    axes.set_ylim(bottom=0)
    axes.set_title("members per index over time (universe_membership)", fontsize=9)
    axes.legend(fontsize=7)
    axes.tick_params(labelsize=7)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def membership_markdown(spells: pd.DataFrame, until: dt.date) -> str:
    """The asset's Markdown: the chart of members over time, then every spell by index and
    symbol (an empty `member_to` is a name still in the index)."""
    if spells.empty:
        return "No dated or undated constituent list was found: no membership."
    png = base64.b64encode(members_chart_png(spells, until)).decode("ascii")
    shown = spells.assign(
        member_from=spells["member_from"].dt.date,
        member_to=spells["member_to"]
        .dt.date.astype("object")
        .where(spells["member_to"].notna(), ""),
        last_listed=spells["last_listed"].dt.date,
        left_in=spells["left_in"].fillna(""),
    )
    return f"![members over time](data:image/png;base64,{png})\n\n" + shown.to_markdown(index=False)
