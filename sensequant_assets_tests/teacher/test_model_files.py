"""Model folders under two runs of one owner at once: in every interleaving of their steps, the
committed rows name files that exist; only folders no committed row names and no running run
holds are removed; a run that died lets go of its folder by itself.

Real parts throughout: a DuckDB warehouse, the model folders on disk, and other processes for
a run that holds its folder and one killed while holding it.
"""

import itertools
import multiprocessing
import os
import signal
from contextlib import ExitStack
from pathlib import Path

import pandas as pd
import pytest

from sensequant_assets.teacher.model_files import (
    MARKER_SUFFIX,
    UNIVERSE_OWNER,
    remove_unused,
    run_folders,
)
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import replace_rows, transaction
from sensequant_assets.warehouse.tables import TEACHER_RUNS, TEACHER_UNIVERSE_RUNS

STEPS = ("train", "commit", "clean")


def interleavings() -> list[tuple[tuple[str, str], ...]]:
    """Every order of run A's and run B's train, commit, clean, each run's own in sequence."""
    orders = []
    for slots in itertools.combinations(range(6), 3):
        a, b = iter(STEPS), iter(STEPS)
        orders.append(tuple(("A", next(a)) if i in slots else ("B", next(b)) for i in range(6)))
    return orders


def committed_paths(warehouse: WarehouseResource, owner: str) -> list[Path]:
    with warehouse.get_connection() as conn:
        if owner == UNIVERSE_OWNER:
            rows = conn.execute(f"SELECT model_path FROM {TEACHER_UNIVERSE_RUNS.name}").fetchall()
        else:
            rows = conn.execute(
                f"SELECT model_path FROM {TEACHER_RUNS.name} WHERE symbol = ?", [owner]
            ).fetchall()
    return [Path(path) for (path,) in rows]


class Run:
    """One teacher run of `owner`, step by step, through the library the assets call."""

    def __init__(self, warehouse: WarehouseResource, models: Path, owner: str, run_id: str):
        self.warehouse, self.models, self.owner, self.run_id = warehouse, models, owner, run_id
        self.held = ExitStack()
        self.folder = models / owner / run_id

    def train(self) -> None:
        self.folder = self.held.enter_context(run_folders(self.models, [self.owner], self.run_id))[
            self.owner
        ]
        for window in range(2):
            (self.folder / f"w{window:02d}.cbm").write_bytes(self.run_id.encode())

    def commit(self) -> None:
        rows = pd.DataFrame(
            {
                "window_index": [0, 1],
                "status": "trained",
                "train_rows": 10,
                "eval_rows": 5,
                "model_path": [str(self.folder / f"w{w:02d}.cbm") for w in range(2)],
            }
        )
        with self.warehouse.get_connection() as conn, transaction(conn):
            if self.owner == UNIVERSE_OWNER:
                replace_rows(conn, TEACHER_UNIVERSE_RUNS.name, "TRUE", [], rows)
            else:
                rows.insert(0, "symbol", self.owner)
                replace_rows(conn, TEACHER_RUNS.name, "symbol = ?", [self.owner], rows)

    def clean(self) -> None:
        with self.warehouse.get_connection() as conn:
            remove_unused(conn, self.models, [self.owner])
        self.held.close()  # the run ends


@pytest.mark.parametrize("owner", ["AAA", UNIVERSE_OWNER])
@pytest.mark.parametrize(
    "order", interleavings(), ids=lambda order: "-".join(run + step for run, step in order)
)
def test_every_interleaving_of_two_runs_keeps_the_committed_models(
    tmp_path: Path, warehouse: WarehouseResource, owner: str, order: tuple[tuple[str, str], ...]
) -> None:
    models = tmp_path / "models"
    earlier = Run(warehouse, models, owner, "run-0")
    for step in STEPS:
        getattr(earlier, step)()
    runs = {name: Run(warehouse, models, owner, f"run-{name.lower()}") for name in ("A", "B")}
    for run, step in order:
        getattr(runs[run], step)()
        named = committed_paths(warehouse, owner)
        assert named and all(path.is_file() for path in named), (run, step, named)

    # Once both have ended, the next clean-up leaves exactly what the rows name.
    with warehouse.get_connection() as conn:
        remove_unused(conn, models, [owner])
    named = committed_paths(warehouse, owner)
    assert sorted(p.name for p in (models / owner).iterdir()) == [named[0].parent.name]


def hold_folder(models: str, started: "multiprocessing.synchronize.Event", die: bool) -> None:
    """In another process: take a run folder, write a model, then die or wait to be ended."""
    with run_folders(Path(models), ["AAA"], "run-other") as folders:
        (folders["AAA"] / "w00.cbm").write_bytes(b"partial")
        started.set()
        if die:
            os.kill(os.getpid(), signal.SIGKILL)
        signal.pause()


@pytest.mark.parametrize("die", [False, True], ids=["running", "killed"])
def test_a_running_run_keeps_its_folder_and_a_killed_one_lets_go(
    tmp_path: Path, warehouse: WarehouseResource, die: bool
) -> None:
    models = tmp_path / "models"
    own = Run(warehouse, models, "AAA", "run-0")
    own.train()  # never committed, not ended: held by this process
    context = multiprocessing.get_context("spawn")
    started = context.Event()
    child = context.Process(target=hold_folder, args=(str(models), started, die))
    child.start()
    try:
        assert started.wait(60)
        if die:
            child.join(60)
            assert child.exitcode == -signal.SIGKILL
        with warehouse.get_connection() as conn:
            removed = remove_unused(conn, models, ["AAA"])
        left = sorted(p.name for p in (models / "AAA").iterdir())
    finally:
        child.kill()
        child.join(60)
        own.held.close()
    assert removed == ([models.resolve() / "AAA" / "run-other"] if die else [])
    held_here = ["run-0", f"run-0{MARKER_SUFFIX}"]
    if die:  # the dead run's folder and its marker are gone
        assert left == held_here
    else:
        assert left == sorted([*held_here, "run-other", f"run-other{MARKER_SUFFIX}"])
