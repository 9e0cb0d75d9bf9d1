"""Choosing the bar source by configuration (SENSEQUANT_SOURCE), never by editing code."""

import os
from pathlib import Path

import dagster as dg

from sensequant_assets.ingestion.sources.base import BarSource
from sensequant_assets.ingestion.sources.legacy_csv import LegacyCsvSource
from sensequant_assets.ingestion.sources.synthetic import SyntheticSource
from sensequant_assets.paths import data_dir
from sensequant_assets.universe.reference import load_listing_dates

SOURCES = ("synthetic", "csv", "breeze")


def bar_source_from_env(environ: dict[str, str] | None = None) -> BarSource:
    """The source named by SENSEQUANT_SOURCE (default: the embedded synthetic source)."""
    environ = dict(os.environ if environ is None else environ)
    kind = environ.get("SENSEQUANT_SOURCE", "synthetic").strip().lower()
    if kind == "synthetic":
        return SyntheticSource(load_listing_dates())
    if kind == "csv":
        return LegacyCsvSource(
            Path(environ.get("SENSEQUANT_LEGACY_DIR", data_dir() / "historical"))
        )
    if kind == "breeze":
        from sensequant_assets.breeze.resources import BreezeSource

        return BreezeSource(
            api_key=dg.EnvVar("BREEZE_API_KEY"),
            api_secret=dg.EnvVar("BREEZE_API_SECRET"),
            session_token=dg.EnvVar("BREEZE_SESSION_TOKEN"),
        )
    raise ValueError(f"SENSEQUANT_SOURCE={kind!r} is not one of {', '.join(SOURCES)}")
