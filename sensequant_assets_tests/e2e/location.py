"""The project's code location with one partition answered wrongly, for the end-to-end test.

Everything is the project's own (assets, checks, jobs, sensors, schedule, resources bound from
the environment) except the bar source: the synthetic source answering `BROKEN` with candles
that repeat a date, as a live feed sometimes does. `dagster dev` loads it under the project's
location name (`server.dagster_dev(..., module=__name__)`).
"""

import dagster as dg

from sensequant_assets import definitions  # the module: one @dg.definitions per module scope
from sensequant_assets.defs.resources import setting
from sensequant_assets.paths import REFERENCE_DIR
from sensequant_assets.sources.base import BarSource
from sensequant_assets_tests.faults.answers import FaultyAnswers

BROKEN = "WIPRO|2023"


@dg.definitions
def defs() -> dg.Definitions:
    source = FaultyAnswers(
        reference_dir=setting("SENSEQUANT_REFERENCE_DIR", str(REFERENCE_DIR)),
        faults={BROKEN: "duplicated"},
    )
    return project_with_source(source)


def project_with_source(source: BarSource) -> dg.Definitions:
    """The project's definitions, every one, with `source` as the bar source."""
    project = definitions.defs()
    return dg.Definitions(
        assets=project.assets,
        asset_checks=project.asset_checks,
        jobs=project.jobs,
        sensors=project.sensors,
        schedules=project.schedules,
        executor=project.executor,
        resources={**(project.resources or {}), "bar_source": source},
    )
