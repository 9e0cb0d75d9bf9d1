"""The first year reaches the code location as it loads: the partitions follow the variable, the
resource shows it by name, and a bad value stops the load with a message naming it."""

import json
import os
import subprocess
import sys

from sensequant_assets.paths import REPO_ROOT

SHOW = """
import json
from sensequant_assets.definitions import defs
from sensequant_assets.defs.partitions import months_partitions, years_partitions
loaded = defs()
field = loaded.resources["history"]._get_non_default_public_field_values()["first_year"]
print(json.dumps([years_partitions.get_partition_keys()[0],
                  months_partitions.get_partition_keys()[0], type(field).__name__]))
"""


def load(first_year: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SENSEQUANT_FIRST_YEAR": first_year}
    return subprocess.run(
        [sys.executable, "-c", SHOW], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )


def test_partitions_and_the_resource_follow_the_variable() -> None:
    loaded = load("2016")
    assert loaded.returncode == 0, loaded.stderr
    years, months, bound = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert (years, months) == ("2016", "2016-01")
    assert bound == "IntEnvVar"  # the UI's resource page names SENSEQUANT_FIRST_YEAR


def test_a_bad_value_stops_the_load_naming_the_variable() -> None:
    loaded = load("twenty-sixteen")
    assert loaded.returncode != 0
    assert "SENSEQUANT_FIRST_YEAR='twenty-sixteen' is not a year" in loaded.stderr
