"""The backfill bench names its years: the first year moved to 2016 (issue 24), and a bench that
took the first three year partitions of its own process measured 2016-2018 where every recorded
figure is 2022-2024, while the instance it started read the suite's 2022 pin."""

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from benchmarks.bench import by_year
from benchmarks.bench_backfill import BASELINE_HISTORY, History
from sensequant_assets.market.history import FIRST_YEAR_VARIABLE
from sensequant_assets.paths import REPO_ROOT


def test_the_baseline_is_2022_to_2024_under_the_default_first_year() -> None:
    """In a process without the suite's pin (a user's `make bench`), the baseline stays the
    recorded NIFTY 100 x 2022-2024 and its instance starts in 2022."""
    env = {k: v for k, v in os.environ.items() if k != FIRST_YEAR_VARIABLE}
    probe = (
        "import json\n"
        "from benchmarks.bench_backfill import BASELINE_HISTORY as b\n"
        "print(json.dumps([b.keys, b.settings]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    keys, settings = json.loads(done.stdout.splitlines()[-1])
    assert keys == ["2022", "2023", "2024"]
    assert settings == {FIRST_YEAR_VARIABLE: "2022"}


def test_the_deeper_history_runs_from_its_first_year_to_this_year() -> None:
    this_year = dt.date.today().year
    deep = History(2016, this_year)
    assert deep.keys == [str(y) for y in range(2016, this_year + 1)]
    assert deep.settings == {FIRST_YEAR_VARIABLE: "2016"}
    assert BASELINE_HISTORY.keys == ["2022", "2023", "2024"]  # whatever this process pins


def test_a_year_past_this_one_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=f"years 2022-{dt.date.today().year + 1}"):
        _ = History(2022, dt.date.today().year + 1).keys


def test_the_demo_failed_checks_read_one_entry_per_check_and_symbol() -> None:
    lines = [
        "mapping_check[MCDOWELL-N] (error)",
        "coverage_check[ADANIGREEN|2016] (error)",
        "coverage_check[ADANIGREEN|2017] (error)",
        "coverage_check[TATASTEEL|2023] (error)",
    ]
    assert by_year(lines) == (
        "mapping_check[MCDOWELL-N] (error); coverage_check[ADANIGREEN] (error): 2016, 2017; "
        "coverage_check[TATASTEEL] (error): 2023"
    )
