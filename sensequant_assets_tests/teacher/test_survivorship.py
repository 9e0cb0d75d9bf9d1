"""A planted survivorship effect: names that later join the index rise before they join.

Six incumbents are members throughout; six joiners drift up strongly until they join at the start
of 2024, and are random walks after. A universe built from today's list (all twelve names on
every date) sees the joiners' pre-join rise, which their momentum reveals, and scores it as
skill: out-of-sample rank IC well above zero. The point-in-time universe trains and scores each
date only on that date's members, so the rise is outside every sample and the same model finds
nothing. That rise could never have been traded: nobody knew in 2023 which names would join.
"""

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant_assets.teacher.labels import LabelSpec, label_table
from sensequant_assets.teacher.metrics import pooled_report
from sensequant_assets.teacher.training import TrainingParams, point_in_time_rows, train_universe
from sensequant_assets.teacher.windows import WindowSpec
from sensequant_assets.universe.constituents import ConstituentList
from sensequant_assets.universe.membership import DatedList, membership_spells
from sensequant_assets_tests.teacher.factories import DAILY_VOL, YEARS, random_walk_bars

FAST = TrainingParams(iterations=40, depth=3, min_names=5)
JOIN = dt.date(2024, 1, 1)
INCUMBENTS = [f"INC{i}" for i in range(6)]
JOINERS = [f"JOIN{i}" for i in range(6)]
PRE_JOIN_DRIFT = 0.006  # a day: about 35 % of the daily volatility, before joining only


def rising_until_join(symbol: str, seed: int) -> pd.DataFrame:
    """A random walk that drifts up until JOIN and is a plain walk after (the joiners)."""
    bars = random_walk_bars(symbol, seed)
    before = (bars["date"].dt.date < JOIN).to_numpy()
    lift = np.exp(np.cumsum(np.where(before, PRE_JOIN_DRIFT, 0.0)))
    for column in ("open", "high", "low", "close"):
        bars[column] = bars[column] * lift
    return bars


def dated(effective: dt.date, symbols: list[str]) -> DatedList:
    path = Path(f"idx_{effective}.txt")
    return DatedList(ConstituentList(path, tuple(symbols), (), effective, "idx"), effective)


@pytest.fixture(scope="module")
def labels() -> pd.DataFrame:
    frames = [random_walk_bars(s, seed=100 + i) for i, s in enumerate(INCUMBENTS)]
    frames += [rising_until_join(s, seed=200 + i) for i, s in enumerate(JOINERS)]
    return pd.concat(
        [
            label_table(str(bars["symbol"].iloc[0]), bars, LabelSpec(), WindowSpec(252, 63))
            for bars in frames
        ],
        ignore_index=True,
    )


def rank_ic(labels: pd.DataFrame, tmp_path: Path) -> pd.Series:
    """The pooled out-of-sample mean rank IC of the universe model on these rows, with its
    95 % interval (value, ci_low, ci_high)."""
    result = train_universe(labels, FAST, tmp_path, tmp_path)
    report = pooled_report(result.predictions, LabelSpec().purge, min_names=5)
    row = report[(report["scorer"] == "model") & (report["metric"] == "rank_ic_mean")]
    return row[["value", "ci_low", "ci_high"]].iloc[0]


def test_a_todays_list_universe_scores_survivorship_as_skill_the_point_in_time_one_does_not(
    labels: pd.DataFrame, tmp_path: Path
) -> None:
    assert YEARS[0] < JOIN.year <= YEARS[-1] and PRE_JOIN_DRIFT < DAILY_VOL
    spells = membership_spells(
        [
            dated(dt.date(2022, 1, 3), INCUMBENTS),
            dated(JOIN, INCUMBENTS + JOINERS),
        ],
        renames={},
    )
    members = point_in_time_rows(labels, spells)
    joiners = members[members["symbol"].isin(JOINERS)]
    assert joiners["date"].min().date() >= JOIN  # nothing from before they joined
    assert set(members["symbol"]) == set(INCUMBENTS + JOINERS)

    todays_list = rank_ic(labels, tmp_path / "today")
    point_in_time = rank_ic(members, tmp_path / "pit")
    # Today's list: "skill" its 95 % interval tells from none, only the joiners' pre-join rise.
    assert todays_list["ci_low"] > 0.0, todays_list
    # Point in time: no skill the interval can tell from none.
    assert point_in_time["ci_low"] <= 0.0 <= point_in_time["ci_high"], point_in_time
    assert point_in_time["value"] < todays_list["ci_low"]


def test_a_name_that_left_keeps_its_rows_from_before_it_left(labels: pd.DataFrame) -> None:
    left = dt.date(2023, 6, 30)
    spells = membership_spells(
        [
            dated(dt.date(2022, 1, 3), INCUMBENTS),
            dated(left + dt.timedelta(days=1), INCUMBENTS[1:]),
        ],
        renames={},
    )
    kept = point_in_time_rows(labels, spells)
    gone = kept[kept["symbol"] == INCUMBENTS[0]]
    before = labels[(labels["symbol"] == INCUMBENTS[0]) & (labels["date"].dt.date <= left)]
    assert len(gone) == len(before) > 0
    assert gone["date"].max().date() <= left
    assert not kept["symbol"].isin(JOINERS).any()  # never members
