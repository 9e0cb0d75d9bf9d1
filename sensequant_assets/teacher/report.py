"""What Dagit shows for a symbol's teacher: a per-window table and a chart embedded in Markdown.

The chart puts each window's out-of-sample accuracy next to the majority-class baseline and its
ROC AUC next to 0.5, because a teacher is only worth using where it beats doing nothing. It is a
PNG in a data URI so the Markdown carries it without a file server.
"""

import base64
import io
import json

import pandas as pd


def _number(value: object, digits: int = 3) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"


def _day(value: object) -> str:
    return "–" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _top_feature(importances: object) -> str:
    if not isinstance(importances, str):
        return "–"
    ranked = sorted(json.loads(importances).items(), key=lambda item: -item[1])
    return f"{ranked[0][0]} ({ranked[0][1]:.0f})"


def runs_markdown(runs: pd.DataFrame) -> str:
    """One Markdown row per window: ranges, sizes, balance, metrics against baseline, or reason."""
    lines = [
        "| window | status | train | eval | rows (train/eval) | positives (train/eval) "
        "| accuracy | baseline | ROC AUC | F1 | top feature | reason |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs.itertuples(index=False):
        lines.append(
            f"| {run.window_index} | {run.status} "
            f"| {_day(run.train_start)} → {_day(run.train_end)} "
            f"| {_day(run.eval_start)} → {_day(run.eval_end)} "
            f"| {run.train_rows}/{run.eval_rows} "
            f"| {_number(run.train_positive_rate, 2)}/{_number(run.eval_positive_rate, 2)} "
            f"| {_number(run.eval_accuracy)} | {_number(run.baseline_accuracy)} "
            f"| {_number(run.eval_roc_auc)} | {_number(run.eval_f1)} "
            f"| {_top_feature(run.feature_importances)} | {run.reason or ''} |"
        )
    return "\n".join(lines)


def evaluation_chart_png(symbol: str, runs: pd.DataFrame) -> bytes:
    """Accuracy vs majority baseline and ROC AUC vs 0.5, by window, for the trained windows."""
    # Imported here: matplotlib costs ~0.3 s, which every run process would pay at start-up.
    from matplotlib.figure import Figure

    trained = runs[runs["status"] == "trained"]
    windows = trained["window_index"].to_numpy()
    figure = Figure(figsize=(7.0, 2.6), dpi=80)
    figure.subplots_adjust(left=0.07, right=0.98, bottom=0.18, top=0.82, wspace=0.2)
    accuracy_axes, auc_axes = figure.subplots(1, 2)
    accuracy_axes.plot(windows, trained["eval_accuracy"], marker="o", label="model")
    accuracy_axes.plot(windows, trained["baseline_accuracy"], marker="x", ls="--", label="majority")
    accuracy_axes.set_title("eval accuracy", fontsize=9)
    accuracy_axes.legend(fontsize=7)
    auc = pd.to_numeric(trained["eval_roc_auc"], errors="coerce")
    auc_axes.bar(
        windows, auc.fillna(0.0), color=["tab:green" if v > 0.5 else "tab:red" for v in auc]
    )
    auc_axes.axhline(0.5, color="grey", ls="--", lw=1)
    auc_axes.set_ylim(0.0, 1.0)
    auc_axes.set_title("eval ROC AUC (0.5 = chance)", fontsize=9)
    for axes in (accuracy_axes, auc_axes):
        axes.set_xlabel("window", fontsize=8)
        axes.tick_params(labelsize=7)
    figure.suptitle(symbol, fontsize=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def model_markdown(symbol: str, runs: pd.DataFrame) -> str:
    """teacher_model's Markdown for one symbol: the chart (if anything trained), then the table."""
    parts = []
    if (runs["status"] == "trained").any():
        encoded = base64.b64encode(evaluation_chart_png(symbol, runs)).decode("ascii")
        parts.append(f"![{symbol} evaluation by window](data:image/png;base64,{encoded})")
    parts.append(runs_markdown(runs))
    return "\n\n".join(parts)


def labels_markdown(labels: pd.DataFrame) -> str:
    """Per window and split: date range, rows, labelled rows and share of positive labels."""
    summary = labels.groupby(["window_index", "split"], sort=True).agg(
        first=("date", "min"),
        last=("date", "max"),
        rows=("date", "size"),
        labelled=("label", "count"),
        positives=("label", "mean"),
    )
    lines = [
        "| window | split | first | last | rows | labelled | positives |",
        "|---|---|---|---|---|---|---|",
    ]
    for (window, split), row in summary.sort_index(
        level=[0, 1], ascending=[True, False]
    ).iterrows():
        lines.append(
            f"| {window} | {split} | {_day(row['first'])} | {_day(row['last'])} | {row['rows']} "
            f"| {row['labelled']} | {_number(row['positives'], 2)} |"
        )
    return "\n".join(lines)
