"""The backfill bench's account of a wall beside its steps: what the scaling table's "between
levels" and "run start-ups" columns say, from the runs' own times."""

from benchmarks.bench_backfill import where_the_wall_went


def run(created: float, first_step: float, ended: float | None) -> dict[str, object]:
    return {
        "creationTime": created,
        "endTime": ended,
        "stepStats": [{"startTime": first_step, "endTime": ended}, {"startTime": None}],
    }


def test_between_levels_is_the_wall_no_run_covered_and_start_ups_sum_per_run() -> None:
    # launched at 8; a level of two overlapping runs (10-20, 12-25), the next (30-40); ended 41
    runs = [run(10, 14, 20), run(12, 18, 25), run(30, 33, 40)]
    assert where_the_wall_went(runs, launched=8, ended=41) == (2 + 5 + 1, 4 + 6 + 3)


def test_a_run_without_an_end_covers_the_wall_to_the_backfills_end() -> None:
    assert where_the_wall_went([run(10, 12, None)], launched=10, ended=30) == (0, 2)
