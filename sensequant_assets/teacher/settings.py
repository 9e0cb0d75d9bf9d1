"""The teacher's settings as one resource: what labels mean, how windows walk, how CatBoost fits.

Everything here that decides a label row (horizon, threshold rule, windows, feature set) is
recorded with the rows it builds (`label_settings`), so `teacher_model` can refuse labels that
other settings built instead of training on them silently. The same settings give the teacher
assets their Dagster code versions (`labels_version`, `model_version`), so a changed horizon
shows every label and model partition unsynced in the UI.
"""

import dataclasses
import hashlib
import json
import os
from typing import Annotated, Literal

import dagster as dg
from pydantic import AfterValidator, Field

from sensequant_assets.settings import WHEN_RESOLVED
from sensequant_assets.teacher.economics import IndianEquityCosts
from sensequant_assets.teacher.features import DEFAULT_FEATURE_SET, FEATURE_SETS
from sensequant_assets.teacher.labels import LabelSpec, label_settings
from sensequant_assets.teacher.training import TrainingParams, UniverseRule
from sensequant_assets.teacher.windows import WindowSpec

MACHINE_THREADS = len(os.sched_getaffinity(0))
"""The cores this process may run on: one teacher step trains at a time on the DuckDB file (the
`warehouse` pool), so CatBoost is given all of them by default."""


DEVICES = ("CPU", "GPU")


def known_device(value: str) -> str:
    if value not in DEVICES:
        raise ValueError(f"SENSEQUANT_TEACHER_DEVICE={value!r} is not one of {', '.join(DEVICES)}")
    return value


class TeacherSettings(dg.ConfigurableResource):
    """Label, window, feature-set and CatBoost settings of the teacher stage."""

    horizon: int = Field(
        default=5, ge=1, description="Holding period H in sessions: enter at t+1, exit at t+1+H."
    )
    threshold_kind: Literal["fixed", "volatility"] = Field(
        default="volatility",
        description="fixed: |return| beyond `threshold`; volatility: beyond k x trailing "
        "daily sigma x sqrt(H).",
    )
    threshold: float = Field(default=0.02, ge=0, description="The fixed threshold, a fraction.")
    k: float = Field(default=0.5, gt=0, description="Multiple of sigma x sqrt(H) (volatility).")
    vol_window: int = Field(
        default=20, ge=2, description="Sessions of daily log returns behind sigma (volatility)."
    )
    feature_set: str = Field(
        default=DEFAULT_FEATURE_SET,
        description=f"Named feature set: {', '.join(FEATURE_SETS)} (teacher/features.py).",
    )
    window_size: int = Field(default=252, ge=1, description="Training window, in sessions.")
    window_step: int = Field(
        default=63, ge=1, description="Window stride and evaluation-slice length, in sessions."
    )
    seed: int = Field(default=42, description="CatBoost and bootstrap seed; same seed, same run.")
    iterations: int = Field(default=150, ge=1)
    depth: int = Field(default=4, ge=1, le=16)
    learning_rate: float = Field(default=0.05, gt=0)
    border_count: int = Field(default=64, ge=1, description="Feature quantization borders.")
    thread_count: Annotated[int, Field(ge=1, le=1024), WHEN_RESOLVED] = Field(
        default=MACHINE_THREADS,
        description="CPU threads CatBoost may use (SENSEQUANT_TEACHER_THREADS; default: the "
        "machine's cores).",
    )
    task_type: Annotated[str, AfterValidator(known_device), WHEN_RESOLVED] = Field(
        default="CPU",
        description=(
            "SENSEQUANT_TEACHER_DEVICE. GPU trains on CUDA where one exists; not "
            "bit-reproducible, and about 12x slower than CPU on 252-row windows; it pays only for "
            "the universe model at market scale (docs/benchmarks.md)."
        ),
    )
    min_train_samples: int = Field(default=100, ge=1)
    min_eval_samples: int = Field(default=20, ge=1)
    min_names: int = Field(
        default=5, ge=2, description="Fewest symbols a date needs for its rank IC to count."
    )
    universe_rule: UniverseRule = Field(
        default="point_in_time",
        description="Which names the universe model trains and scores on each date: "
        "point_in_time, the members of `universe_index` on that date (universe_membership; a "
        "name that left keeps its rows before it left); every_gated_name, every name whose bars "
        "passed the gate, on every date (today's list applied to the past: survivorship bias).",
    )
    universe_index: str = Field(
        default="nifty100",
        description="The index whose membership the point_in_time rule reads, as "
        "universe_membership names it (e.g. nifty100).",
    )
    book_quantile: float = Field(
        default=0.2,
        gt=0,
        le=0.5,
        description="Economic test: share of the day's eligible names held long (and short).",
    )
    cost_stt: float = Field(
        default=0.001, ge=0, description="Securities transaction tax, each side (delivery)."
    )
    cost_exchange: float = Field(
        default=0.0000297, ge=0, description="NSE transaction charge, each side."
    )
    cost_sebi: float = Field(default=0.000001, ge=0, description="SEBI turnover fee, each side.")
    cost_stamp_duty_buy: float = Field(
        default=0.00015, ge=0, description="Stamp duty on buys (delivery)."
    )
    cost_gst: float = Field(
        default=0.18, ge=0, description="GST on brokerage, exchange and SEBI charges."
    )
    cost_brokerage_bps: float = Field(
        default=0.0, ge=0, description="Brokerage in basis points of value traded, each side."
    )
    cost_slippage_bps: float = Field(
        default=10.0, ge=0, description="Slippage (half-spread and impact) in bps, each side."
    )

    def label_spec(self) -> LabelSpec:
        return LabelSpec(
            horizon=self.horizon,
            threshold_kind=self.threshold_kind,
            threshold=self.threshold,
            k=self.k,
            vol_window=self.vol_window,
        )

    def trading_costs(self) -> IndianEquityCosts:
        """The economic test's costs (defaults and their sources: teacher/economics.py)."""
        return IndianEquityCosts(
            stt=self.cost_stt,
            exchange=self.cost_exchange,
            sebi=self.cost_sebi,
            stamp_duty_buy=self.cost_stamp_duty_buy,
            gst=self.cost_gst,
            brokerage_bps=self.cost_brokerage_bps,
            slippage_bps=self.cost_slippage_bps,
        )

    def window_spec(self) -> WindowSpec:
        return WindowSpec(size=self.window_size, step=self.window_step)

    def label_settings(self) -> dict[str, object]:
        """What every label row built now records (and what stored rows must match)."""
        return label_settings(self.label_spec(), self.window_spec(), self.feature_set)

    def labels_version(self) -> str:
        """A short hash of what decides a label row: the label rows' own provenance."""
        return _digest(self.label_settings())

    def model_version(self) -> str:
        """A short hash of the labels' provenance and every training setting that changes a
        model (the device and thread count change speed only, so they are left out)."""
        params = dataclasses.asdict(self.training_params())
        for speed_only in ("thread_count", "task_type"):
            params.pop(speed_only)
        return _digest({"labels": self.label_settings(), "training": params})

    def universe_version(self) -> str:
        """The universe model's code version: the model settings and the universe rule, so a
        changed rule or index marks it unsynced (the per-symbol models do not depend on it)."""
        return _digest(
            {"model": self.model_version(), "universe": [self.universe_rule, self.universe_index]}
        )

    def universe_rule_text(self) -> str:
        """The rule in words, as the universe model's metadata states it."""
        if self.universe_rule == "point_in_time":
            return (
                f"point_in_time: each date's members of {self.universe_index} (universe_membership)"
            )
        return "every_gated_name: every name whose bars passed the gate, on every date"

    def training_params(self) -> TrainingParams:
        return TrainingParams(
            iterations=self.iterations,
            depth=self.depth,
            learning_rate=self.learning_rate,
            border_count=self.border_count,
            seed=self.seed,
            thread_count=self.thread_count,
            task_type=self.task_type,
            min_train_samples=self.min_train_samples,
            min_eval_samples=self.min_eval_samples,
            min_names=self.min_names,
        )


def _digest(settings: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[
        :12
    ]
