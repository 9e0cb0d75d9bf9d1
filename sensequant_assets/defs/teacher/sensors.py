"""The teacher keeps itself current: an automation-condition sensor evaluates the conditions of
teacher_labels and teacher_model (`TEACHER_AUTOMATION` in assets.py) and launches their runs.

A symbol is relabelled once after one of its bars partitions is stored with another data
version (the evening refresh's new session, a correction; a re-run that stores the same rows
changes nothing) and retrained once after its labels change; the cadence is therefore that of
the refresh, once per NSE evening. The sensor also re-runs teacher_freshness_check after a model
is updated, so the catalog's verdict follows the retrain. Running where the deployment sets
`SENSEQUANT_AUTOMATION=on`, stopped otherwise (`make demo` and the tests, which have no daemon
anyway); switchable in the UI under Automation either way. The universe model is not automated:
it trains on every symbol at once, so a user decides when it is worth it.
"""

import dagster as dg

from sensequant_assets.defs.resources import automation_status
from sensequant_assets.defs.teacher.assets import teacher_labels, teacher_model

TEACHER_AUTOMATION_INTERVAL_SECONDS = 60

teacher_automation_sensor = dg.AutomationConditionSensorDefinition(
    "teacher_automation_sensor",
    target=dg.AssetSelection.assets(teacher_labels, teacher_model),
    default_status=automation_status(),
    minimum_interval_seconds=TEACHER_AUTOMATION_INTERVAL_SECONDS,
    use_user_code_server=False,
    description=(
        "Relabels a symbol after its daily_bars change data version and retrains its model "
        "after its labels change; never while a dependency is missing, in progress or failing a "
        "blocking check. Re-judges teacher_freshness_check after a model update."
    ),
)
