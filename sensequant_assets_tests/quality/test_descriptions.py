"""What the freshness and coverage checks say, composed without Dagster."""

import datetime as dt

from sensequant_assets.quality.coverage import CoverageResult, coverage_description
from sensequant_assets.quality.freshness import (
    SHOWN_SYMBOLS,
    FreshnessVerdict,
    overdue_partitions,
    universe_description,
)

OVERDUE = FreshnessVerdict(False, dt.date(2025, 6, 26), dt.date(2025, 6, 27))
NOW = dt.datetime(2025, 6, 27, 15, 0, tzinfo=dt.UTC)


def test_an_overdue_description_names_the_first_symbols_behind_and_counts_the_rest() -> None:
    behind = [f"S{i:02d}" for i in range(SHOWN_SYMBOLS + 3)]
    text = universe_description(OVERDUE, behind, 40, "2026 lacks its holiday list.")
    assert text.startswith("Overdue: holds 2025-06-26, lacks the session of 2025-06-27.")
    assert f"{len(behind)} of 40 symbol(s) behind: S00, " in text
    assert f"S{SHOWN_SYMBOLS - 1:02d} and 3 more." in text
    assert text.endswith(" 2026 lacks its holiday list.")
    assert universe_description(FreshnessVerdict(True, dt.date(2025, 6, 27), None), [], 40) == (
        "Fresh: holds the session of 2025-06-27."
    )


def test_an_overdue_alert_names_partitions_in_the_year_of_the_lacking_session() -> None:
    behind = [f"S{i:02d}" for i in range(SHOWN_SYMBOLS + 3)]
    partitions = overdue_partitions(OVERDUE, behind, NOW).split(", ")
    assert len(partitions) == SHOWN_SYMBOLS and partitions[0] == "S00|2025"
    assert overdue_partitions(FreshnessVerdict(False, None, None), ["A"], NOW) == "A|2025"


def test_coverage_says_why_a_partition_has_no_bars() -> None:
    empty = CoverageResult(
        symbol="INFY",
        year=2024,
        listed_on=None,
        expected=(dt.date(2024, 1, 1),),
        found=(),
        missing=(dt.date(2024, 1, 1),),
        special_sessions={},
        holidays={},
        unexpected={},
    )
    assert coverage_description(empty, "no ISEC code", materialized=True) == (
        "No bars, because the symbol is unmapped: no ISEC code"
    )
    assert coverage_description(empty, None, materialized=False).startswith(
        "daily_bars[INFY|2024] has never been materialized"
    )
    assert coverage_description(empty, None, materialized=True) == empty.describe()
