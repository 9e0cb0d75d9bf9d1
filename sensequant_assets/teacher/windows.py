"""Walk-forward windows over one symbol's sessions.

A window trains on `size` consecutive sessions and is evaluated on the `step` sessions that
follow a purge gap of `purge` sessions (the label span, horizon + 1: a label decided at t enters at
t+1 and exits at t+1+H), so the gap keeps every training label out of the evaluation slice.
Windows start at the first session whose features are all defined and advance by `step`, so
their boundaries are fixed by the session dates alone and are the same on every run. The
original cut 180-calendar-day tumbling windows and validated on a random split that saw the
future.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class WindowSpec:
    """Training-window length and stride, in sessions."""

    size: int = 252
    step: int = 63

    def __post_init__(self) -> None:
        if self.size < 1 or self.step < 1:
            raise ValueError(
                f"Window size and step must be at least one session (got size={self.size}, "
                f"step={self.step}); fix the teacher settings."
            )

    def provenance(self) -> dict[str, int]:
        return {"window_size": self.size, "window_step": self.step}


@dataclass(frozen=True)
class Window:
    """Row positions (half-open) in the symbol's date-sorted bars.

    The evaluation slice is cut at the end of the history, so it can be shorter than `step`, or
    empty; whether it holds enough labelled sessions is decided when training.
    """

    index: int
    train_start: int
    train_stop: int
    eval_start: int
    eval_stop: int


def plan_windows(n_rows: int, first_row: int, spec: WindowSpec, purge: int) -> list[Window]:
    """Every window whose training part lies within the `n_rows` sessions, from `first_row` on."""
    if purge < 0:
        raise ValueError(f"The purge gap cannot be negative (got {purge}).")
    windows: list[Window] = []
    start = first_row
    while start + spec.size <= n_rows:
        train_stop = start + spec.size
        eval_start = min(train_stop + purge, n_rows)
        eval_stop = min(train_stop + purge + spec.step, n_rows)
        windows.append(Window(len(windows), start, train_stop, eval_start, eval_stop))
        start += spec.step
    return windows
