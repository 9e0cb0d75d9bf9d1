"""`python -m benchmarks.teacher_quality`: re-measure the teacher's quality figures and write
benchmarks/teacher_quality.md (docs/benchmarks.md "Teacher quality" is built from it).

Three sources, each the code the platform runs:
- the demo batch (`python -m sensequant_assets.demo` on a fresh instance): the per-symbol and
  universe models on the same evaluation rows, and the universe model's economic test, both read
  back from `teacher_universe_model`'s materialization;
- the null and planted-signal runs of `sensequant_assets_tests/teacher/test_null_and_power.py`
  (production settings, the figures its tests print);
- the simulation of `sensequant_assets_tests/teacher/test_inference_simulation.py` with
  `SENSEQUANT_SIMULATION_REPS` replications (5000 here, 1000 in the suite).
"""

import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).with_name("teacher_quality.md")
SIMULATION_REPS = 5000
PRINTED = ("NULL", "POWER", "rank-IC t-test", "intervals,", "former")


def demo_metadata() -> dict[str, object]:
    """Run the demo on a fresh instance; the universe model's materialization metadata."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DAGSTER_HOME": tmp,
            "SENSEQUANT_WAREHOUSE": f"{tmp}/warehouse.duckdb",
            "SENSEQUANT_MODELS_DIR": f"{tmp}/models",
            "SENSEQUANT_REPORTS_DIR": f"{tmp}/reports",
        }
        (Path(tmp) / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
        subprocess.run(
            [sys.executable, "-m", "sensequant_assets.demo"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        with dg.DagsterInstance.from_config(tmp) as instance:
            event = instance.get_latest_materialization_event(dg.AssetKey("teacher_universe_model"))
            assert event is not None and event.asset_materialization is not None
            return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def printed_lines(test_file: str, reps: int) -> list[str]:
    """The figures a test module prints under `pytest -s`, then its outcome line (passed or
    failed: a failure at more replications is a finding, recorded, not hidden)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", "-s", "-rf", test_file],
        cwd=REPO_ROOT,
        env={**os.environ, "SENSEQUANT_SIMULATION_REPS": str(reps)},
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.splitlines()
    figures = [line.strip() for line in lines if line.startswith(PRINTED)]
    outcome = [line.strip() for line in lines if line.startswith("FAILED") or " passed" in line]
    return figures + [f"pytest: {line}" for line in outcome]


def book_rows(economics: dict[str, dict[str, object]]) -> list[str]:
    rows = []
    for scorer in ("model", "momentum"):
        part = economics[scorer]
        for book in ("long_short", "long_only"):
            f = part[book]
            assert isinstance(f, dict)
            rows.append(
                f"| {scorer} | {book.replace('_', '-')} | {f['gross_annual_return']:+.3f} "
                f"| {f['cost_annual']:.3f} | {f['net_annual_return']:+.3f} "
                f"| {f['net_excess_annual_return']:+.3f} | {f['turnover_daily']:.2f} "
                f"| {f['net_sharpe']:.2f} [{f['net_sharpe_low']:.2f}, {f['net_sharpe_high']:.2f}] "
                f"| {f['max_drawdown']:.3f} |"
            )
        versus = part["ic_vs_market"]
        decay = part["ic_decay"]
        assert isinstance(versus, dict) and isinstance(decay, dict)
        rows.append(
            f"| {scorer} | rank IC raw / residual to market (t) | {versus['raw_ic']:+.3f} "
            f"({versus['raw_t']:.2f}) / {versus['residual_ic']:+.3f} ({versus['residual_t']:.2f}), "
            f"5 % critical {versus['t_critical']:.2f} | IC decay h=1 {decay['1']:+.3f}, h=5 "
            f"{decay['5']:+.3f}, h=20 {decay['20']:+.3f} | | | | | |"
        )
    return rows


def main() -> int:
    when = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    metadata = demo_metadata()
    economics = metadata["economics"]
    assert isinstance(economics, dict)
    null_power = printed_lines("sensequant_assets_tests/teacher/test_null_and_power.py", 0)
    simulation = printed_lines(
        "sensequant_assets_tests/teacher/test_inference_simulation.py", SIMULATION_REPS
    )
    names = economics["names_per_date"]
    settings = economics["settings"]
    header = (
        "| scorer | book | gross /yr | costs /yr | net /yr | net − equal weight /yr "
        "| turnover /day | net Sharpe [95 % CI] | max drawdown |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    text = f"""## Teacher quality

Written by `python -m benchmarks.teacher_quality` (run by `make bench`) on {when}. Intervals are
95 % t intervals from each figure's influence over dates (Hansen-Hodrick lags, at least the H = 5
sessions over which labels overlap; docs/teacher.md); t-statistics are mean rank IC over its
Hansen-Hodrick standard error, set against the Student critical value shown.

### Demo batch (`python -m sensequant_assets.demo`, seeded random walks)

Per-symbol and universe models on the same evaluation rows (`per_symbol_vs_universe`):

{metadata["per_symbol_vs_universe"]}

Economic test of the universe model (`economics` metadata of `teacher_universe_model`, read
back from the instance): names per date {names["min"]}-{names["max"]} (median
{names["median"]:.0f}), {names["dates"]} dates; settings {settings}.

{header}
{chr(10).join(book_rows(economics))}

The demo's bars are random walks: net of costs the long-short books must lose, and the
long-only books must not beat the equal-weighted universe.

### Null and planted signal (production settings, `test_null_and_power.py`)

24 random walks x 3 years (null) and 16 planted-signal series (strength 0.8: an oracle AUC of
about 0.89); the economic test runs on the universe model's out-of-sample scores, costs at their
defaults.

{chr(10).join(f"- {line}" for line in null_power)}

### Inference under the null ({SIMULATION_REPS} replications, `test_inference_simulation.py`)

Band for a correct procedure: 5 % ± {300 * (0.05 * 0.95 / SIMULATION_REPS) ** 0.5:.1f} points
(rejection), 95 % ± the same (coverage): three binomial standard errors.

{chr(10).join(f"- {line}" for line in simulation)}
"""
    OUT.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
