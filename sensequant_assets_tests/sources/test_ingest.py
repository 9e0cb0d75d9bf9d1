"""A bars run's flow without Dagster: mappings stored, symbol-years and symbol-months fetched,
settled against the stored rows, written and concluded, on a real DuckDB warehouse and the
synthetic source; what each partition shows; and the intraday checks' evaluation of what it
wrote."""

import datetime as dt
import logging

import pandas as pd

from sensequant_assets.paths import ProjectPaths
from sensequant_assets.quality.evaluate import evaluate_month_symbols, read_month_evidence
from sensequant_assets.sources.base import FetchResult, SymbolMapping
from sensequant_assets.sources.breeze.limiter import BudgetState
from sensequant_assets.sources.ingest import (
    PAUSED_PARTITIONS,
    PAUSED_STATUS,
    RESUME_AT,
    bars_metadata,
    bars_preview,
    budget_metadata,
    intraday_failure_description,
    mapping_metadata,
    paused_metadata,
    paused_observations,
    resume_text,
    store_daily_bars,
    store_intraday_bars,
    store_mappings,
)
from sensequant_assets.sources.intraday_batch import IntradayFetch
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.universe.reference import SESSIONS_FILE, load_known_days, load_listing_dates
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.storage import read_mappings, stored_bar_dates

LOG = logging.getLogger(__name__)
RESUME = dt.datetime(2026, 12, 3, 3, 30, tzinfo=dt.UTC)  # 09:00 IST


def test_a_run_writes_the_partitions_it_can_and_fails_an_unmapped_one_alone(
    warehouse: WarehouseResource, synthetic_source: SyntheticSource
) -> None:
    mapping = synthetic_source.lookup("INFY", "INFY")
    store_mappings(warehouse, synthetic_source, [mapping], None, LOG)
    with warehouse.get_connection() as conn:
        assert list(read_mappings(conn, ["INFY"])["isec_code"]) == [mapping.isec_code]

    run = store_daily_bars(
        warehouse, synthetic_source, [("INFY", 2024), ("NOSUCH", 2024)], None, LOG
    )

    assert list(run.outcome.written) == [("INFY", 2024)]
    assert list(run.outcome.failed) == [("NOSUCH", 2024)]
    assert run.stored[("NOSUCH", 2024)] == set()
    with warehouse.get_connection() as conn:
        stored = stored_bar_dates(conn, [("INFY", 2024)])[("INFY", 2024)]
    assert stored == set(run.outcome.written[("INFY", 2024)].bars["date"].dt.date)
    again = store_daily_bars(warehouse, synthetic_source, [("INFY", 2024)], None, LOG)
    assert again.versions == run.versions  # the same bars: the same data version


def bars(days: int) -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    return pd.DataFrame({"date": dates, "close": range(days)})


def test_bars_metadata_says_why_a_partition_holds_nothing() -> None:
    unmapped = SymbolMapping("X", "X", None, None, None, "failed", "no such symbol")
    empty = FetchResult(bars(0), {"note": "not listed yet", "calls": 1})

    assert bars_metadata(empty, unmapped, "breeze")["status"] == "unmapped"
    assert bars_metadata(empty, None, "breeze")["status"] == "not listed yet"
    stored = bars_metadata(FetchResult(bars(7), {"calls": 2}), None, "synthetic")
    assert stored["status"] == "stored" and stored["source_calls"] == 2
    assert (stored["first_date"], stored["last_date"]) == ("2024-01-01", "2024-01-07")
    assert bars_preview(bars(7)).count("2024-01-0") == 5  # five rows, dates without times


def test_mapping_metadata_shows_blanks_not_none() -> None:
    failed = SymbolMapping("X", "X", None, None, None, "failed", "no such symbol")
    assert mapping_metadata(failed, "breeze") == {
        "nse_ticker": "X",
        "isec_code": "",
        "isec_token": "",
        "company_name": "",
        "status": "failed",
        "error": "no such symbol",
        "source": "breeze",
    }


def test_a_paused_partition_says_when_it_resumes() -> None:
    paused = (("TCS", dt.date(2024, 3, 1)), ("TCS", dt.date(2024, 4, 1)))
    fetched = IntradayFetch({}, list(paused), RESUME, "5000 of 5000 calls used")

    observations = paused_observations(fetched)
    assert list(observations) == ["2024-03|TCS", "2024-04|TCS"]
    assert observations["2024-03|TCS"]["status"] == PAUSED_STATUS
    assert observations["2024-03|TCS"][RESUME_AT] == RESUME.isoformat()
    description = intraday_failure_description({"2024-05|TCS": "boom"}, fetched, 3)
    assert "2 of 3 intraday_bars partitions paused" in description
    assert "2026-12-03 09:00 IST" in description and "2024-05|TCS" in description
    assert resume_text(None) == "unknown"
    assert paused_metadata(fetched) == {
        PAUSED_PARTITIONS: ["2024-03|TCS", "2024-04|TCS"],
        RESUME_AT: RESUME.isoformat(),
    }
    assert paused_metadata(IntradayFetch({})) == {}


def test_budget_metadata_says_when_intraday_resumes() -> None:
    budget = BudgetState(used=10, cap=5000, reserved=200, left_for_intraday=4790, resume_at=None)
    assert budget_metadata(budget)["intraday_resumes_at"] == "now"
    spent = BudgetState(used=4800, cap=5000, reserved=200, left_for_intraday=0, resume_at=RESUME)
    assert budget_metadata(spent)["intraday_resumes_at"] == "2026-12-03 09:00 IST"


def test_an_intraday_run_writes_candles_the_checks_then_judge(
    warehouse: WarehouseResource, synthetic_source: SyntheticSource, paths: ProjectPaths
) -> None:
    """The synthetic scenario plants a missing session in RELIANCE's March 2024 and nothing in
    HDFCBANK's: written through the library flow, judged by the library evaluation."""
    mappings = [synthetic_source.lookup(symbol, symbol) for symbol in ("HDFCBANK", "RELIANCE")]
    store_mappings(warehouse, synthetic_source, mappings, None, LOG)
    wanted = [("HDFCBANK", dt.date(2024, 3, 1)), ("RELIANCE", dt.date(2024, 3, 1))]

    run = store_intraday_bars(warehouse, synthetic_source, wanted, "1minute", None, LOG)

    assert sorted(run.outcome.written) == wanted and run.errors() == {} and run.warnings() == []
    keys = ["2024-03|HDFCBANK", "2024-03|RELIANCE"]
    reference = load_known_days(paths.reference / SESSIONS_FILE)
    with warehouse.get_connection() as conn:
        evidence = read_month_evidence(conn, wanted, "1minute", reference)
    listings = load_listing_dates(paths.listings_file)
    clean, planted = evaluate_month_symbols(evidence, keys, wanted, "1minute", listings)
    assert clean.sessions.passed and clean.hours.passed and clean.integrity.passed
    assert not planted.sessions.passed
