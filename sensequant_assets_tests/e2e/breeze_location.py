"""The project's code location on the Breeze source, for the end-to-end test of intraday budgets.

Everything is the project's own, the Breeze source bound from the environment as a deployment
binds it (`defs/resources.py::bar_source("breeze")`); the test points its variables at the
stand-in server and a small daily cap.
"""

import dagster as dg

from sensequant_assets.defs.resources import bar_source
from sensequant_assets_tests.e2e.location import project_with_source


@dg.definitions
def defs() -> dg.Definitions:
    return project_with_source(bar_source("breeze"))
