"""The project's code location on the Breeze source, for the end-to-end test of intraday budgets.

Everything is the project's own, the Breeze source bound from the environment as a deployment
binds it (`defs/resources.py::bar_source("breeze")`); the test points its variables at the
stand-in server and a small daily cap.
"""

import dagster as dg

from sensequant_assets import definitions  # the module: one @dg.definitions per module scope
from sensequant_assets.defs.resources import bar_source


@dg.definitions
def defs() -> dg.Definitions:
    project = definitions.defs()
    return dg.Definitions(
        assets=project.assets,
        asset_checks=project.asset_checks,
        jobs=project.jobs,
        sensors=project.sensors,
        schedules=project.schedules,
        executor=project.executor,
        resources={**(project.resources or {}), "bar_source": bar_source("breeze")},
    )
