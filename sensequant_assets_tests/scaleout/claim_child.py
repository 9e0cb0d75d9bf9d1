"""One claimant of a pool slot for the exact-pool test: `python -m ...scaleout.claim_child`.

At each round's start time (shared by every claimant) it claims a slot of pool `probe` on the
instance in DAGSTER_HOME as a fresh step, holds a granted slot for a while, frees it, and prints
`<round> <1 if granted else 0>`. The parent counts rounds in which more than one was granted.
"""

import sys
import time

import dagster as dg

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


if __name__ == "__main__":
    raise SystemExit(main())
