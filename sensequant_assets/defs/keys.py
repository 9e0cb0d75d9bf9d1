"""Every asset's key and the run tags more than one domain reads, declared once.

A domain folder under `defs/` imports this module, `batches.py`, `cutoffs.py`, `partitions.py`,
`owners.py` and `resources.py`, never another domain (`test_architecture.py`): a sensor that
launches the teacher or a check on the bars names the asset by its key here, not by importing
the domain that defines it. `test_keys_name_the_code_locations_assets` proves each key names an
asset the code location defines.
"""

import dagster as dg

SYMBOL_MAPPING = dg.AssetKey("symbol_mapping")
DAILY_BARS = dg.AssetKey("daily_bars")
INTRADAY_BARS = dg.AssetKey("intraday_bars")
CORPORATE_ACTIONS = dg.AssetKey("corporate_actions")
UNIVERSE_MEMBERSHIP = dg.AssetKey("universe_membership")
COVERAGE_REPORT = dg.AssetKey("coverage_report")
TEACHER_LABELS = dg.AssetKey("teacher_labels")
TEACHER_MODEL = dg.AssetKey("teacher_model")
TEACHER_UNIVERSE_MODEL = dg.AssetKey("teacher_universe_model")

JUDGED_AT_TAG = "sensequant/judged_at"
"""Run tag: the moment a freshness run judges (its schedule tick), so a late run judges on time."""
