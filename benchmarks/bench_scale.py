"""Whole-market scale: the batch graph from 36 symbols x 3 years to NIFTY 500 x 10 years.

Every size is one whole-graph asset backfill through the real daemon (`bench_backfill`), at the
project's backfill pace; the small sizes also at Dagster's own 30 s pace, in the same bench run,
as the baseline of the orchestration ratio. The long run (`make bench-long`) adds NIFTY 500 x 10
years on the embedded default (sqlite instance, DuckDB file) and on PostgreSQL + DuckLake, and on
the embedded one, once its backfill ended, the UI's page times (`bench_ui`) and the evening
refresh.

Each measurement is kept in `benchmarks/scale.json` by its size, deployment and pace, so a
default `make bench` re-measures the small sizes and keeps the last long rows with the time they
were measured; `benchmarks/scale.md` (part of docs/benchmarks.md) is rendered from it.
"""

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.bench_backfill import (
    BASELINE_HISTORY,
    Deployment,
    History,
    asset_backfill,
    evening_refresh,
)
from sensequant_assets.defs.partitions import years_from
from sensequant_assets.market.history import DEFAULT_FIRST_YEAR
from sensequant_assets.sources.history_plan import history_plan
from sensequant_assets_tests.support.dagster_dev import DagsterDev

SCALE_JSON = Path(__file__).with_name("scale.json")
SCALE_MD = Path(__file__).with_name("scale.md")
DAGSTER_PACE_S = 30  # Dagster's own backfill daemon pass, the baseline
REFERENCE_SIZE = "100 x 3"  # the cost per bar partition of every size is set beside this one's


def this_year() -> int:
    return int(years_from(DEFAULT_FIRST_YEAR).get_partition_keys()[-1])


TEN_YEARS = History(this_year() - 9, this_year())
"""Ten years up to the current, still-open one: what the evening refresh re-fetches is there."""


@dataclass(frozen=True)
class Size:
    symbols: int
    history: History

    @property
    def name(self) -> str:
        return f"{self.symbols} x {len(self.history.keys)}"


SMALL = (Size(36, BASELINE_HISTORY), Size(100, BASELINE_HISTORY), Size(100, TEN_YEARS))
MARKET = Size(500, TEN_YEARS)


@dataclass(frozen=True)
class Row:
    """One scaling-table row: a measurement and how it was made."""

    size: str
    deployment: str
    pace_s: int
    measured_at: str
    m: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.size}|{self.deployment}|{self.pace_s}"


def measured(
    size: Size, deployment: Deployment = "sqlite", pace_s: int | None = None, **kw: Any
) -> Row:
    m = asset_backfill(size.symbols, size.history, deployment, backfill_pass_s=pace_s, **kw)
    row = Row(
        size.name,
        deployment,
        m.backfill_pass_s,
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        asdict(m),
    )
    print(f"scale: {json.dumps(asdict(row))}", flush=True)
    return row


def ui_and_evening(server: DagsterDev, symbols: Sequence[str]) -> dict[str, Any]:
    """On the NIFTY 500 instance after its backfill: the UI's pages, then the evening refresh
    of every symbol's current year (and the UI's pages again, now with a second run per
    partition of this year)."""
    from benchmarks.bench_ui import ui_page_times

    profile = server.root / "chromium"
    profile.mkdir(exist_ok=True)
    pages = [asdict(p) for p in ui_page_times(server.url, profile)]
    refresh = evening_refresh(server, symbols, this_year())
    return {"ui_pages": pages, **refresh}


def stored_rows() -> dict[str, Row]:
    if not SCALE_JSON.exists():
        return {}
    rows = [Row(**row) for row in json.loads(SCALE_JSON.read_text())]
    return {row.key: row for row in rows}


def store(rows: Sequence[Row]) -> dict[str, Row]:
    """Fresh rows replace the stored ones of the same size, deployment and pace."""
    kept = {**stored_rows(), **{row.key: row for row in rows}}
    SCALE_JSON.write_text(json.dumps([asdict(r) for r in kept.values()], indent=1) + "\n")
    SCALE_MD.write_text(render(kept))
    return kept


def share(m: dict[str, Any]) -> str:
    """The part of the wall that was not step time (negative: steps overlapped)."""
    return f"{(m['wall_s'] - m['step_s']) / m['wall_s']:.0%}" if m["wall_s"] else ""


STAGES = {
    "mapping": ("symbol_mapping", "symbol_mapping_mapping_check"),
    "bars": ("daily_bars",),
    "checks": ("daily_bars_checks", "daily_bars_freshness_check"),
    "labels": ("teacher_labels",),
    "models": ("teacher_model", "teacher_model_teacher_freshness_check"),
    "universe": ("teacher_universe_model",),
    "report": ("coverage_report",),
}


def overheads(m: dict[str, Any]) -> str:
    """Between levels / queued and starting (summed over runs), blank in rows measured before
    they were."""
    if not m.get("start_up_s"):
        return ""
    daemon = (m.get("cpu_s_by_role") or {}).get("daemon")
    return f"{m['idle_s']:.0f} / {m['start_up_s']:.0f}" + (
        f" (daemon {daemon:.0f} CPU-s)" if daemon is not None else ""
    )


def stages(m: dict[str, Any]) -> str:
    by_step = m.get("stage_s") or {}
    return ", ".join(
        f"{name} {sum(by_step.get(k, 0.0) for k in keys):.1f}" for name, keys in STAGES.items()
    )


def render(rows: dict[str, Row]) -> str:
    order = [s.name for s in (*SMALL, MARKET)]
    ordered = sorted(
        rows.values(),
        key=lambda r: (order.index(r.size) if r.size in order else 99, r.deployment, r.pace_s),
    )
    reference = next(
        (
            r.m
            for r in ordered
            if r.size == REFERENCE_SIZE and r.deployment == "sqlite" and r.pace_s != DAGSTER_PACE_S
        ),
        None,
    )
    lines = [
        "## Scale (`benchmarks/bench_scale.py`; NIFTY 500 x 10 years: `make bench-long`)",
        "",
        "Whole-graph asset backfills through the daemon (mapping, bars and their checks, labels, "
        "models, universe model, report), synthetic source. Ratio: wall over the summed step time "
        "of the backfill's runs; orchestration: the share of the wall that was not step time. "
        f"Cost per bar partition: wall over bar partitions, and beside it that figure over the "
        f"{REFERENCE_SIZE} row's at the project's pace. Where the rest went: the wall in which no "
        "run of the backfill was queued or running (the daemon's passes between levels), and "
        "the runs' summed time from creation to their first step (queue and process start-up).",
        "",
        "| symbols x years | instance, warehouse | backfill pass | runs | bar partitions | wall | "
        "summed steps | ratio | orchestration | "
        "between levels / runs queued and starting (summed), s | "
        "s per bar partition (vs 100 x 3) | "
        "steps by stage, s | peak memory: all / largest run / daemon / webserver / code server, "
        "MiB | instance, warehouse MiB | measured (UTC), load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in ordered:
        m = row.m
        roles = by_role(m)
        relative = (
            f" ({m['s_per_bar_partition'] / reference['s_per_bar_partition']:.2f}×)"
            if reference
            else ""
        )
        where = {"sqlite": "sqlite, DuckDB file", "postgres": "PostgreSQL, DuckDB file"}.get(
            row.deployment, "PostgreSQL, DuckLake"
        )
        lines.append(
            f"| {row.size} | {where} | {row.pace_s} s | {m['runs']} | {m['bar_partitions']} | "
            f"{m['wall_s']:.0f} s | {m['step_s']:.0f} s | {m['orchestration_ratio']:.2f} | "
            f"{share(m)} | {overheads(m)} | {m['s_per_bar_partition']:.3f}{relative} | "
            f"{stages(m)} | "
            f"{m['peak_rss_mib']} / {roles.get('run', '')} / {roles.get('daemon', '')} / "
            f"{roles.get('webserver', '')} / {roles.get('code server', '')} | "
            f"{m['instance_mib']} / {m['warehouse_mib']} | {row.measured_at}, {m['load_average']} |"
        )
    market = next((r for r in ordered if r.size == MARKET.name and r.deployment == "sqlite"), None)
    lines += ["", *plans(), ""]
    if market and market.m.get("after"):
        lines += after_lines(market)
    return "\n".join(lines) + "\n"


def by_role(m: dict[str, Any]) -> dict[str, float]:
    """Peak memory by role; rows measured before runs were told apart by their command line
    (`multiprocessing.spawn`, how `dagster dev`'s code server starts a run) name them by it."""
    roles: dict[str, float] = {}
    for name, peak in (m.get("peak_rss_by_role_mib") or {}).items():
        role = "run" if "multiprocessing.sp" in name else name
        roles[role] = max(roles.get(role, 0.0), peak)
    return roles


def plans() -> list[str]:
    """The live call plan at each size (sources/history_plan.py), with the daily reserve kept."""
    out = ["Live call plan (ICICI Breeze: 100 calls a minute, 5,000 a day, 200 kept back):", ""]
    for size in (*SMALL, MARKET):
        years = [int(y) for y in size.history.keys]
        plan = history_plan(size.symbols, years, per_minute=100, per_day=5000, reserve=200)
        out.append(
            f"- {size.name}: {plan.calls:,} history calls ({plan.calls_per_symbol} a symbol) and "
            f"{size.symbols} mapping lookups: {(plan.calls + size.symbols) / 100:.1f} min at the "
            f"rate, {plan.days_at_cap} day(s) at the cap; each evening then {size.symbols} calls "
            f"(one a symbol for its current year): {size.symbols / 100:.1f} min, "
            f"{size.symbols / 4800:.0%} of the day's budget less the reserve."
        )
    return out


def after_lines(row: Row) -> list[str]:
    after = row.m["after"]
    lines = [
        f"On the {row.size} instance after its backfill ({row.measured_at} UTC):",
        "",
        f"- Evening refresh (the schedule's {after['refresh_runs']} bars_job runs over every "
        f"symbol's {this_year()}): {after['refresh_wall_s']} s wall, "
        f"{after['refresh_step_s']} s of steps ({', '.join(after['refresh_statuses'])}); the "
        f"instance grew {after['refresh_instance_growth_mib']} MiB.",
        "",
        "| UI page | GraphQL queries | slowest query | its time in the browser / replayed (median "
        "of 3), ms | page settled, ms | every query under 2 s |",
        "|---|---|---|---|---|---|",
    ]
    for page in after["ui_pages"]:
        slowest = page["slowest"] + (f" (error: {page['error']})" if page["error"] else "")
        lines.append(
            f"| {page['page']} | {len(page['queries'])} | {slowest} | "
            f"{page['slowest_browser_ms']:.0f} / {page['slowest_replay_ms']:.0f} | "
            f"{page['settled_ms']:.0f} | {'yes' if page['all_under_2s'] else 'no'} |"
        )
    return [*lines, ""]


def scale(long: bool) -> list[Row]:
    """The small sizes at both paces (sqlite), the small reference size on the deployments,
    and with `long` NIFTY 500 x 10 years on the embedded default and on PostgreSQL + DuckLake."""
    rows = []
    for size in SMALL:
        rows.append(measured(size))
        if size.history == BASELINE_HISTORY:
            rows.append(measured(size, pace_s=DAGSTER_PACE_S))
    for deployment in ("postgres", "postgres+ducklake"):
        rows.append(measured(SMALL[1], deployment))
    if long:
        rows.append(measured(MARKET, then=ui_and_evening))
        rows.append(measured(MARKET, "postgres+ducklake"))
    store(rows)
    return rows


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--long", action="store_true", help="also NIFTY 500 x 10 years (an hour or more)"
    )
    parser.add_argument(
        "--render", action="store_true", help="only re-render scale.md from scale.json"
    )
    args = parser.parse_args()
    if args.render:
        SCALE_MD.write_text(render(stored_rows()))
        return 0
    scale(args.long)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
