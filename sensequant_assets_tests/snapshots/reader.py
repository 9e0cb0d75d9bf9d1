"""A notebook reading the snapshots in a loop: `python -m sensequant_assets_tests.snapshots.reader`.

It holds one `connect_snapshots` connection, as a Jupyter kernel would, and reads every
daily_bars partition's row count and smallest and largest volume (the run_child writers put
their generation number there) until the stop file appears, then reads once more and prints, as
one JSON line, every distinct observation per partition, the last read, the number of reads and
any error.
"""

import argparse
import json
from pathlib import Path

import duckdb

from sensequant_assets.warehouse.snapshots import connect_snapshots

PER_PARTITION = (
    "SELECT symbol || '|' || year(date), count(*), min(volume), max(volume) "
    "FROM daily_bars GROUP BY ALL"
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--stop", type=Path, required=True)
    args = parser.parse_args()
    conn = connect_snapshots(args.root)
    seen: dict[str, set[tuple[int, int, int]]] = {}
    errors: list[str] = []
    reads = 0
    last: dict[str, tuple[int, int, int]] = {}
    stopping = False
    while True:
        stopping = args.stop.exists()
        try:
            last = {key: tuple(rest) for key, *rest in conn.execute(PER_PARTITION).fetchall()}
        except duckdb.Error as exc:
            errors.append(str(exc))
        else:
            for key, observation in last.items():
                seen.setdefault(key, set()).add(observation)
        reads += 1
        if reads == 1:
            print("reading", flush=True)
        if stopping:
            break
    report = {
        "reads": reads,
        "errors": errors[:5],
        "error_count": len(errors),
        "seen": {key: sorted(values) for key, values in seen.items()},
        "last": last,
    }
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
