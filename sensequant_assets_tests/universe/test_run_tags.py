"""What a run's tags say it covered, and why a constituent-list tick launched nothing."""

from pathlib import Path

from sensequant_assets.universe.batches import skip_reason
from sensequant_assets.universe.partitions import range_tags, run_partitions


def test_run_partitions_reads_one_partition_a_range_or_none() -> None:
    assert run_partitions({"dagster/partition": "INFY|2024"}) == "INFY|2024"
    assert run_partitions(range_tags("A|2024", "K|2024")) == "A|2024..K|2024"
    assert run_partitions({"sensequant/batch": "nifty"}) == ""


def test_skip_reason_says_what_to_do(tmp_path: Path) -> None:
    assert skip_reason(tmp_path, ["a.txt: line 2: bad symbol"]) == (
        f"1 problem(s) in {tmp_path}: a.txt: line 2: bad symbol"
    )
    assert "put one there (*.txt, one symbol a line)" in skip_reason(tmp_path, [])
    (tmp_path / "nifty.txt").write_text("INFY\n", encoding="utf-8")
    assert skip_reason(tmp_path, []) == f"no new or changed constituent lists in {tmp_path}"
