"""One claimant of a pool slot for the exact-pool tests: `python -m ...scaleout.claim_child`.

At each round's start time (shared by every claimant) it claims a slot of pool `probe` on the
instance in DAGSTER_HOME as a fresh step, holds a granted slot for a while, frees it, and prints
`<round> <1 if granted else 0>`. The parent (`granted_per_round`) counts rounds in which more
than one was granted.
"""

import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from sensequant_assets.paths import REPO_ROOT
from sensequant_assets_tests.faults.processes import child_env

HOLD_S = 0.2
ROUND_S = 1.0  # a claimant starting late still frees its slot before the next round


def main() -> int:
    name, start, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        for round_ in range(rounds):
            while time.time() < start + round_ * ROUND_S:
                time.sleep(0.0005)
            run_id = f"{name}-{round_}"
            granted = storage.claim_concurrency_slot("probe", run_id, "step").is_claimed
            print(f"{round_} {int(granted)}", flush=True)
            time.sleep(HOLD_S)
            storage.free_concurrency_slots_for_run(run_id)
    return 0


def granted_per_round(home: Path, root: Path, claimants: int, rounds: int) -> list[int]:
    """How many of `claimants` processes were granted the one slot of pool `probe`, on the
    instance in `home`, in each of `rounds` rounds in which they all claim at the same instant."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.event_log_storage.set_concurrency_slots("probe", 1)
    start = time.time() + 10  # every claimant imported and connected by then
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", __name__, f"claimant{n}", str(start), str(rounds)],
            cwd=REPO_ROOT,
            env=child_env(root / f"claimant{n}", home),
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(claimants)
    ]
    granted = [0] * rounds
    for process in processes:
        stdout, _ = process.communicate(timeout=120)
        assert process.returncode == 0, stdout
        for line in stdout.splitlines():
            round_, got = map(int, line.split())
            granted[round_] += got
    return granted


if __name__ == "__main__":
    raise SystemExit(main())
