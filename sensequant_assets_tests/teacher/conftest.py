"""Fixtures of the teacher tests."""

import pandas as pd
import pytest

from sensequant_assets_tests.teacher.factories import random_walk_bars


@pytest.fixture(scope="session")
def walk() -> pd.DataFrame:
    return random_walk_bars("WALK", seed=7)
