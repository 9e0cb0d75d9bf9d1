"""What the teacher's materializations record, read back as plain values, and the way back.

Each labels and model partition records on its latest materialization what it was built from
(the bars partitions' data versions, the fingerprint of the labels a model was trained on, the
run whose rows or model files it names). The flow decides from those records what to rebuild,
and the freshness check whether a model is behind its bars; both take them as `Recorded`, so
neither needs Dagster to be tested. This module is the teacher's one translation between its
plain values and Dagster's records and metadata (public API only; the data-version tag is read
by `dagster_internals.data_version`, which the assets pass in).
"""

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import dagster as dg

from sensequant_assets.quality.freshness import (
    ModelVerdict,
    StoredBars,
    TrainedModel,
    model_verdict,
)
from sensequant_assets.teacher.report import Markdown
from sensequant_assets.universe.partitions import symbol_year_key

FINGERPRINT = "labels_fingerprint"
MODEL_RUN = "model_run"  # the run whose model files a partition's latest materialization names
LABELS_RUN = "labels_run"  # the run whose label rows a partition's latest materialization names
BARS_VERSIONS = "bars_versions"  # {daily_bars partition: data version} the rows were built from
LAST_SESSION = "last_session"
ROW_COUNT = "dagster/row_count"
UNCHANGED = "unchanged"
GATED = "gated"


class Recorded(NamedTuple):
    """A partition's latest materialization: its run, data version, when it was stored, and its
    metadata as recorded (each entry's `.value` is what was reported; the entries themselves are
    reported again untouched when a partition is kept)."""

    run_id: str
    version: str | None
    timestamp: float
    metadata: Mapping[str, Any]

    def value(self, key: str) -> Any:
        """The value recorded under `key`, None where nothing was."""
        entry = self.metadata.get(key)
        return None if entry is None else entry.value


def recorded(
    records: Mapping[str, dg.EventLogRecord],
    version_of: Callable[[dg.EventLogRecord], str | None],
) -> dict[str, Recorded]:
    """Each partition's latest materialization record as `Recorded`, its data version read by
    `version_of` (`dagster_internals.data_version`)."""
    return {
        key: Recorded(
            record.run_id,
            version_of(record),
            record.timestamp,
            record.asset_materialization.metadata if record.asset_materialization else {},
        )
        for key, record in records.items()
    }


def as_metadata(values: Mapping[str, object]) -> dict[str, object]:
    """Plain metadata as Dagster shows it: `Markdown` as a page; everything else as it is (a
    dict is shown as JSON, a `Path` as a path, a recorded entry as recorded)."""
    return {
        key: dg.MetadataValue.md(value) if isinstance(value, Markdown) else value
        for key, value in values.items()
    }


def bars_keys(symbols: Sequence[str], years: Sequence[str]) -> dict[str, str]:
    """Every daily_bars partition of `symbols`, each with its symbol as built, not parsed back: a
    symbol materialized before keys were checked must not stop the check that reads the event
    log only."""
    return {symbol_year_key(symbol, int(year)): symbol for symbol in symbols for year in years}


def model_verdicts(
    models: Mapping[str, Recorded],
    labels: Mapping[str, Recorded],
    bars: Mapping[str, Recorded],
    keys: Mapping[str, str],
    cutoff_at: dt.datetime,
) -> tuple[list[ModelVerdict], list[str]]:
    """Each model's verdict against the bars stored now (by symbol), and the symbols left out
    because their latest labels are gated: the checks that gate them speak for them."""
    gated = sorted(symbol for symbol, record in labels.items() if record.value("status") == GATED)
    stored: dict[str, dict[str, StoredBars]] = {symbol: {} for symbol in models}
    for key, bar in bars.items():
        last_date = bar.value("last_date")
        stored[keys[key]][key] = StoredBars(
            version=bar.version or "",
            stored_at=dt.datetime.fromtimestamp(bar.timestamp, dt.UTC),
            last_date=str(last_date) if last_date is not None else "",
        )
    verdicts = []
    for symbol, record in sorted(models.items()):
        if symbol in gated:
            continue
        recorded, last = record.value(BARS_VERSIONS), record.value(LAST_SESSION)
        model = TrainedModel(
            bars_versions=dict(recorded) if recorded is not None else {},
            last_session=str(last) if last is not None else "",
        )
        verdicts.append(model_verdict(symbol, model, stored[symbol], cutoff_at))
    return verdicts, gated
