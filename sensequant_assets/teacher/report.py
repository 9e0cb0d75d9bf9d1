"""What the Dagster UI shows for the teacher: Markdown tables and charts (PNG in data URIs, so
the Markdown carries them without a file server).

The headline is the pooled out-of-sample table, model against its baselines with 95 % block-
bootstrap intervals, because a teacher is only worth using where it beats doing nothing by more
than the noise. Per-window figures follow as detail, with their intervals. A figure that is
undefined reads "undefined" and is drawn as nothing, never as 0 (a real, and the worst, AUC).
"""

import base64
import io
import json

import numpy as np
import pandas as pd

from sensequant_assets.teacher.economics import BOOKS
from sensequant_assets.teacher.metrics import (
    COMPARED,
    DIFFERENCES,
    METRICS,
    SCORERS,
    difference_name,
    pooled_report,
    rank_ic_by_date,
    reliability,
)
from sensequant_assets.teacher.settings import TeacherSettings

UNDEFINED = "undefined"


class Markdown(str):
    """Text the UI shows as a page, not as plain text (the asset turns it into Dagster's
    markdown metadata value)."""


_METRIC_LABELS = {
    "roc_auc": "ROC AUC (0.5 = chance)",
    "log_loss": "log-loss",
    "brier_score": "Brier score",
    "brier_skill": "Brier skill vs training base rate",
    "accuracy_over_majority": "accuracy − majority class",
    "ts_rank_ic": "time-series rank IC (every row, within symbol)",
    "rank_ic_mean": "mean rank IC (per date, across symbols)",
    "rank_ic_t": "rank IC t (Hansen-Hodrick) [5 % critical]",
    "rank_ic_hit_rate": "rank IC hit rate",
}


def _number(value: object, digits: int = 3) -> str:
    return UNDEFINED if value is None or pd.isna(value) else f"{float(value):.{digits}f}"


def _interval(value: object, low: object, high: object) -> str:
    if value is None or pd.isna(value):
        return UNDEFINED
    if low is None or pd.isna(low) or high is None or pd.isna(high):
        return _number(value)
    return f"{float(value):.3f} [{float(low):.3f}, {float(high):.3f}]"


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _day(value: object) -> str:
    return "–" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _top_feature(importances: object) -> str:
    if not isinstance(importances, str):
        return "–"
    ranked = sorted(json.loads(importances).items(), key=lambda item: -item[1])
    return f"{ranked[0][0]} ({ranked[0][1]:.0f})"


def pooled_markdown(report: pd.DataFrame) -> str:
    """The pooled report (`metrics.pooled_report`) as a table: one row per metric, one column
    per scorer, "value [95 % interval]"; "–" where a metric does not apply to a scorer (a
    ranking has no log-loss), "undefined" where it applies but has no value."""
    cells = report.set_index(["metric", "scorer"])
    lines = [
        "| metric | " + " | ".join(SCORERS) + " | rows |",
        "|---|" + "---|" * (len(SCORERS) + 1),
    ]
    for metric in METRICS:
        row = [
            _interval(*cells.loc[(metric, scorer), ["value", "ci_low", "ci_high"]])
            if (metric, scorer) in cells.index
            else "–"
            for scorer in SCORERS
        ]
        n = int(cells.loc[(metric, "model"), "n"])
        unit = "dates" if metric.startswith("rank_ic") else "rows"
        lines.append(f"| {_METRIC_LABELS[metric]} | " + " | ".join(row) + f" | {n} {unit} |")
    return "\n".join(lines)


def verdict(low: object, high: object) -> str:
    """What a model-minus-baseline interval says, in words."""
    if low is None or pd.isna(low) or high is None or pd.isna(high):
        return UNDEFINED
    if low > 0:
        return "model better"
    if high < 0:
        return "model worse"
    return "no difference shown"


def differences_markdown(report: pd.DataFrame) -> str:
    """Does the model beat each baseline? One row per baseline and figure: the paired
    difference model − baseline with its 95 % interval (`metrics.pooled_report`), and the
    verdict: better or worse only where the whole interval lies on one side of 0."""
    cells = report.set_index(["scorer", "metric"])
    lines = [
        "| baseline | figure | model − baseline [95 % CI] | verdict |",
        "|---|---|---|---|",
    ]
    for baseline in DIFFERENCES:
        for metric in COMPARED:
            key = (difference_name(baseline), metric)
            if key not in cells.index:
                continue
            value, low, high = cells.loc[key, ["value", "ci_low", "ci_high"]]
            lines.append(
                f"| {baseline} | {_METRIC_LABELS[metric]} | {_interval(value, low, high)} "
                f"| {verdict(low, high)} |"
            )
    return "\n".join(lines)


def comparison_markdown(per_symbol: pd.DataFrame, universe: pd.DataFrame) -> str:
    """Per-symbol models against the universe model, both pooled on the same evaluation rows
    (see `metrics.common_rows`): one row per metric, the model's value with its interval."""
    left = per_symbol[per_symbol["scorer"] == "model"].set_index("metric")
    right = universe[universe["scorer"] == "model"].set_index("metric")
    lines = ["| metric | per-symbol models | universe model |", "|---|---|---|"]
    for metric in METRICS:
        lines.append(
            f"| {_METRIC_LABELS[metric]} "
            f"| {_interval(*left.loc[metric, ['value', 'ci_low', 'ci_high']])} "
            f"| {_interval(*right.loc[metric, ['value', 'ci_low', 'ci_high']])} |"
        )
    return "\n".join(lines)


def runs_markdown(runs: pd.DataFrame) -> str:
    """One Markdown row per window: ranges, sizes, balance, AUC with its interval, log-loss,
    Brier skill, then accuracy against the majority class (per-symbol runs) or mean rank IC
    (universe runs), top feature, and the reason a window was not trained."""
    universe = "eval_rank_ic_mean" in runs.columns
    extra = "rank IC | symbols" if universe else "accuracy | majority"
    lines = [
        "| window | status | train | eval | rows (train/eval) | up share (train/eval) "
        f"| ROC AUC [95 % CI] | log-loss | Brier skill | {extra} | top feature | reason |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs.itertuples(index=False):
        trained = run.status == "trained"
        auc = _interval(run.eval_roc_auc, run.eval_roc_auc_low, run.eval_roc_auc_high)
        if universe:
            detail = f"{_number(run.eval_rank_ic_mean)} | {run.symbols}"
        else:
            detail = f"{_number(run.eval_accuracy)} | {_number(run.baseline_accuracy)}"
        lines.append(
            f"| {run.window_index} | {run.status} "
            f"| {_day(run.train_start)} → {_day(run.train_end)} "
            f"| {_day(run.eval_start)} → {_day(run.eval_end)} "
            f"| {run.train_rows}/{run.eval_rows} "
            f"| {_number(run.train_positive_rate, 2)}/{_number(run.eval_positive_rate, 2)} "
            f"| {auc if trained else '–'} | {_number(run.eval_log_loss) if trained else '–'} "
            f"| {_number(run.eval_brier_skill) if trained else '–'} "
            f"| {detail if trained else '– | –'} "
            f"| {_top_feature(run.feature_importances)} | {_text(run.reason)} |"
        )
    return "\n".join(lines)


def evaluation_chart_png(title: str, runs: pd.DataFrame) -> bytes:
    """Per trained window: ROC AUC with its 95 % interval against 0.5, and Brier skill against 0.
    A window whose AUC is undefined is marked "undefined" on the chance line, not drawn as 0."""
    # Imported here: matplotlib costs ~0.3 s, which every run process would pay at start-up.
    from matplotlib.figure import Figure

    trained = runs[runs["status"] == "trained"]
    windows = trained["window_index"].to_numpy()
    auc = pd.to_numeric(trained["eval_roc_auc"], errors="coerce").to_numpy(dtype="float64")
    low = pd.to_numeric(trained["eval_roc_auc_low"], errors="coerce").to_numpy(dtype="float64")
    high = pd.to_numeric(trained["eval_roc_auc_high"], errors="coerce").to_numpy(dtype="float64")
    skill = pd.to_numeric(trained["eval_brier_skill"], errors="coerce").to_numpy(dtype="float64")
    figure = Figure(figsize=(7.0, 2.6), dpi=80)
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.18, top=0.82, wspace=0.25)
    auc_axes, skill_axes = figure.subplots(1, 2)
    defined = ~np.isnan(auc)
    error = np.vstack([auc - low, high - auc])[:, defined]
    auc_axes.errorbar(windows[defined], auc[defined], yerr=np.nan_to_num(error), fmt="o", capsize=3)
    for window in windows[~defined]:
        auc_axes.annotate(UNDEFINED, (window, 0.5), ha="center", fontsize=7, rotation=90)
    auc_axes.axhline(0.5, color="grey", ls="--", lw=1)
    auc_axes.set_ylim(0.0, 1.0)
    auc_axes.set_title("eval ROC AUC, 95 % CI (0.5 = chance)", fontsize=9)
    skill_axes.plot(windows, skill, marker="o", ls="none")
    skill_axes.axhline(0.0, color="grey", ls="--", lw=1)
    skill_axes.set_title("Brier skill vs training base rate", fontsize=9)
    for axes in (auc_axes, skill_axes):
        axes.set_xlabel("window", fontsize=8)
        axes.tick_params(labelsize=7)
    figure.suptitle(title, fontsize=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def rank_ic_chart_png(title: str, predictions: pd.DataFrame, min_names: int) -> bytes:
    """The per-date rank IC of the model's scores, with its cumulative mean; dates where it is
    undefined (fewer than `min_names` symbols) are left out."""
    from matplotlib.figure import Figure

    ic = rank_ic_by_date(
        predictions["date"], predictions["score"], predictions["forward_return"], min_names
    ).dropna()
    figure = Figure(figsize=(7.0, 2.6), dpi=80)
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.18, top=0.85)
    axes = figure.subplots()
    axes.bar(ic.index, ic.to_numpy(), width=1.0, color="tab:blue", alpha=0.5, label="daily")
    axes.plot(ic.index, ic.expanding().mean().to_numpy(), color="black", label="cumulative mean")
    axes.axhline(0.0, color="grey", ls="--", lw=1)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7)
    axes.tick_params(labelsize=7)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def reliability_chart_png(title: str, predictions: pd.DataFrame) -> bytes:
    """The calibration curve of the model's probabilities on the labelled evaluation rows
    (`metrics.reliability`): observed up share against mean forecast per bin, point size by
    rows, beside the diagonal of a calibrated forecast."""
    from matplotlib.figure import Figure

    labelled = predictions.dropna(subset=["label"])
    curve = reliability(
        labelled["label"].to_numpy(dtype="float64"), labelled["score"].to_numpy(dtype="float64")
    )
    figure = Figure(figsize=(3.6, 3.2), dpi=80)
    figure.subplots_adjust(left=0.16, right=0.96, bottom=0.15, top=0.88)
    axes = figure.subplots()
    axes.plot([0, 1], [0, 1], color="grey", ls="--", lw=1)
    sizes = 10 + 200 * curve["rows"] / max(int(curve["rows"].max()), 1) if len(curve) else []
    axes.scatter(curve["forecast"], curve["observed"], s=sizes)
    axes.plot(curve["forecast"], curve["observed"], lw=1)
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("mean forecast", fontsize=8)
    axes.set_ylabel("observed up share", fontsize=8)
    axes.set_title(title, fontsize=9)
    axes.tick_params(labelsize=7)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _image(alt: str, png: bytes) -> str:
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"


def model_markdown(
    symbol: str,
    runs: pd.DataFrame,
    report: pd.DataFrame,
    predictions: pd.DataFrame | None = None,
) -> str:
    """teacher_model's Markdown for one symbol: the pooled table against the baselines, the
    paired differences, the per-window chart (if anything trained), the calibration curve of
    its `predictions` (where given), then the per-window table."""
    parts = [
        f"**Pooled out of sample, {symbol}**\n\n{pooled_markdown(report)}",
        f"**Does the model beat its baselines?**\n\n{differences_markdown(report)}",
    ]
    if (runs["status"] == "trained").any():
        parts.append(_image(f"{symbol} by window", evaluation_chart_png(symbol, runs)))
    if predictions is not None and predictions["label"].notna().any():
        title = f"{symbol}: calibration"
        parts.append(_image("calibration", reliability_chart_png(title, predictions)))
    parts.append(runs_markdown(runs))
    return "\n\n".join(parts)


def universe_markdown(
    runs: pd.DataFrame, predictions: pd.DataFrame, report: pd.DataFrame, min_names: int
) -> str:
    """The universe model's Markdown: pooled table, the rank-IC series, the per-window chart and
    table."""
    parts = [
        f"**Pooled out of sample, universe model**\n\n{pooled_markdown(report)}",
        f"**Does the model beat its baselines?**\n\n{differences_markdown(report)}",
    ]
    if not predictions.empty:
        title = "universe model: rank IC per date (Spearman, scores vs forward returns)"
        parts.append(_image("rank IC", rank_ic_chart_png(title, predictions, min_names)))
        names = predictions.groupby("date")["symbol"].nunique()
        parts.append(
            f"Names per evaluation date: min {names.min()}, median {names.median():.0f}, max "
            f"{names.max()}; the rank IC counts each date with at least {min_names} names once "
            f"({int((names < min_names).sum())} of {len(names)} dates have fewer)."
        )
        if predictions["label"].notna().any():
            title = "universe model: calibration"
            parts.append(_image("calibration", reliability_chart_png(title, predictions)))
    if (runs["status"] == "trained").any():
        parts.append(_image("universe by window", evaluation_chart_png("universe", runs)))
    parts.append(runs_markdown(runs))
    return "\n\n".join(parts)


def labels_markdown(labels: pd.DataFrame) -> str:
    """Per window and split: date range, rows, rows with a known forward return, rows with a
    decisive move (labelled), and the share of those that went up."""
    summary = labels.groupby(["window_index", "split"], sort=True).agg(
        first=("date", "min"),
        last=("date", "max"),
        rows=("date", "size"),
        known=("forward_return", "count"),
        labelled=("label", "count"),
        up=("label", "mean"),
    )
    lines = [
        "| window | split | first | last | rows | return known | labelled | up share |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (window, split), row in summary.sort_index(
        level=[0, 1], ascending=[True, False]
    ).iterrows():
        lines.append(
            f"| {window} | {split} | {_day(row['first'])} | {_day(row['last'])} | {row['rows']} "
            f"| {row['known']} | {row['labelled']} | {_number(row['up'], 2)} |"
        )
    return "\n".join(lines)


_BOOK_LABELS = {"long_short": "long-short", "long_only": "long-only top quantile"}


def economics_chart_png(result: dict[str, object]) -> bytes:
    """Cumulative net return (compounded) and drawdown of every book, model and momentum."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 3.6), dpi=80)
    figure.subplots_adjust(left=0.1, right=0.98, bottom=0.1, top=0.92, hspace=0.35)
    wealth_axes, drawdown_axes = figure.subplots(2, 1, sharex=True)
    for scorer in ("model", "momentum"):
        part = result[scorer]
        assert isinstance(part, dict)
        for book in BOOKS:
            net = part[book].daily["net"]
            wealth = (1 + net).cumprod()
            style = "-" if scorer == "model" else ":"
            label = f"{scorer}, {_BOOK_LABELS[book]}"
            wealth_axes.plot(wealth.index, wealth.to_numpy() - 1, style, label=label, lw=1)
            drawdown = 1 - wealth / wealth.cummax()
            drawdown_axes.plot(drawdown.index, -drawdown.to_numpy(), style, lw=1)
    wealth_axes.axhline(0.0, color="grey", ls="--", lw=1)
    wealth_axes.set_title("cumulative net return (after costs)", fontsize=9)
    drawdown_axes.set_title("drawdown", fontsize=9)
    wealth_axes.legend(fontsize=6)
    for axes in (wealth_axes, drawdown_axes):
        axes.tick_params(labelsize=7)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def economics_markdown(result: dict[str, object]) -> str:
    """The economic test (`economics.economic_test`): a table per book and scorer, the IC
    decay, the costs it charged, and the chart."""
    lines = [
        "| scorer | book | gross /yr | costs /yr | net /yr | net − equal weight /yr "
        "| turnover /day | net Sharpe [95 % CI] | max drawdown |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    decay_lines = [
        "| scorer | " + " | ".join(f"h={h}" for h in (1, 2, 5, 10, 20)) + " |",
        "|---|" + "---|" * 5,
    ]
    for scorer in ("model", "momentum"):
        part = result[scorer]
        assert isinstance(part, dict)
        for book in BOOKS:
            f = part[book].summary
            lines.append(
                f"| {scorer} | {_BOOK_LABELS[book]} | {_number(f['gross_annual_return'])} "
                f"| {_number(f['cost_annual'])} | {_number(f['net_annual_return'])} "
                f"| {_number(f['net_excess_annual_return'])} | {_number(f['turnover_daily'], 2)} "
                f"| {_interval(f['net_sharpe'], f['net_sharpe_low'], f['net_sharpe_high'])} "
                f"| {_number(f['max_drawdown'])} |"
            )
        decay = part["ic_decay"]
        decay_lines.append(
            f"| {scorer} | " + " | ".join(_number(decay[h]) for h in (1, 2, 5, 10, 20)) + " |"
        )
    settings = result["settings"]
    assert isinstance(settings, dict)
    charged = ", ".join(f"{key} {value}" for key, value in settings.items())
    return "\n\n".join(
        [
            "\n".join(lines),
            "**Rank IC decay** (mean per-date rank IC against the return over h sessions)\n\n"
            + "\n".join(decay_lines),
            f"Settings and costs charged: {charged}. Returns are open to open from the session "
            "after the decision; a rise of a weight is charged as a buy, a fall as a sell.",
            _image("economic test", economics_chart_png(result)),
        ]
    )


def pooled(predictions: pd.DataFrame, teacher: TeacherSettings) -> pd.DataFrame:
    """The pooled report of out-of-sample predictions, its intervals and t-statistics over at
    least the H sessions over which labels overlap."""
    return pooled_report(predictions, teacher.horizon, min_names=teacher.min_names)


def headline(report: pd.DataFrame, scorer: str, metric: str) -> float | None:
    """One pooled figure of the report (None where it does not apply or is undefined)."""
    row = report[(report["scorer"] == scorer) & (report["metric"] == metric)]
    return None if row.empty or pd.isna(row["value"].iloc[0]) else float(row["value"].iloc[0])


def interval_text(report: pd.DataFrame, scorer: str, metric: str) -> str:
    row = report[(report["scorer"] == scorer) & (report["metric"] == metric)]
    if row.empty or pd.isna(row["value"].iloc[0]):
        return "undefined"
    value, low, high = row[["value", "ci_low", "ci_high"]].iloc[0]
    return f"{value:.3f} [{low:.3f}, {high:.3f}]" if pd.notna(low) else f"{value:.3f}"
