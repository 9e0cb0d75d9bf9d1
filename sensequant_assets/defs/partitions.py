"""Partitions: symbols come from constituent lists; years (daily bars) and months (intraday bars)
run from the deployment's first year (`SENSEQUANT_FIRST_YEAR`, read when the code location loads,
as the `history` resource reads it) to the current one."""

import dagster as dg

from sensequant_assets.market.history import first_year
from sensequant_assets.universe.partitions import PARTITIONS_PER_RUN

FIRST_YEAR = first_year()

symbols_partitions = dg.DynamicPartitionsDefinition(name="symbols")


def years_from(first: int) -> dg.TimeWindowPartitionsDefinition:
    """Year partitions from `first` on; end_offset=1 makes the current, still-open year one too.
    Keys never depend on `first`, so moving it adds or hides partitions and renames none."""
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule="0 0 1 1 *", fmt="%Y", start=str(first), end_offset=1
    )


years_partitions = years_from(FIRST_YEAR)

symbol_year_partitions = dg.MultiPartitionsDefinition(
    {"symbol": symbols_partitions, "year": years_partitions}
)

# Intraday bars: symbol x month (keys "YYYY-MM|SYMBOL"), from January of the first year.
months_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 * *", fmt="%Y-%m", start=f"{FIRST_YEAR}-01", end_offset=1
)
symbol_month_partitions = dg.MultiPartitionsDefinition(
    {"symbol": symbols_partitions, "month": months_partitions}
)

BATCHED_BACKFILL = dg.BackfillPolicy.multi_run(PARTITIONS_PER_RUN)

# Between an asset partitioned by symbol and one by symbol x year or month: each partition of
# either side maps to its symbol (a model reads every year of its bars; a year of bars needs its
# symbol's mapping).
BY_SYMBOL = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="symbol")
