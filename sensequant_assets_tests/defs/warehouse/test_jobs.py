"""lake_space_job as the schedule runs it, on each backend."""

import pandas as pd

from sensequant_assets.defs.warehouse.jobs import lake_space_job
from sensequant_assets.warehouse import storage
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.quality.factories import bars_for
from sensequant_assets_tests.warehouse.test_storage import DAYS_2023


def test_the_job_reports_what_it_reclaimed_and_every_row_stays(
    any_warehouse: WarehouseResource,
) -> None:
    for close in (1.0, 2.0):
        aaa = [storage.bars_partition("AAA", 2023)]
        with any_warehouse.get_connection() as conn, storage.transaction(conn, aaa):
            storage.replace_bars(conn, "AAA", 2023, bars_for("AAA", DAYS_2023, close=close))
    config = {"ops": {"reclaim_lake_space": {"config": {"keep_snapshots_days": 0}}}}
    result = lake_space_job.execute_in_process(
        run_config=config, resources={"warehouse": any_warehouse}
    )
    assert result.success
    [output] = [e for e in result.all_node_events if e.is_successful_output]
    metadata = {key: value.value for key, value in output.step_output_data.metadata.items()}
    if any_warehouse.is_lake:
        assert metadata["snapshots_expired"] >= 1  # the first generation's snapshot
        assert metadata["orphaned_files_deleted"] == 0  # nothing older than a day here
    else:
        assert metadata == {"backend": "duckdb"}
    with any_warehouse.get_connection() as conn:
        stored = conn.execute("SELECT close FROM daily_bars").df()
    pd.testing.assert_series_equal(
        stored["close"], pd.Series([2.0] * len(DAYS_2023), name="close"), check_dtype=False
    )
