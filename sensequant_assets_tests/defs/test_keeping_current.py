"""Keeping it current, with the clock advanced through NSE evenings on the synthetic source.

Each evening the schedules' own ticks drive in-process runs: current_year_refresh at 18:00 IST
(one new bar per symbol), freshness_schedule at 20:00 IST (the check the catalog shows), and the
teacher's automation conditions evaluated as teacher_automation_sensor would, with the runs they
request executed. Counted: which symbols were relabelled and which models trained. The quality
gate is stood in for (its own tests prove it), since it judges the still-open year by the real
clock while this test pins the source's.
"""

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.alerts import AlertsResource
from sensequant_assets.defs.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.defs.quality.checks import freshness_check
from sensequant_assets.defs.quality.jobs import freshness_job
from sensequant_assets.defs.quality.schedules import freshness_schedule
from sensequant_assets.defs.reference.assets import corporate_actions
from sensequant_assets.defs.teacher import assets
from sensequant_assets.defs.teacher.assets import teacher_labels, teacher_model
from sensequant_assets.defs.universe.schedules import current_year_refresh
from sensequant_assets.market.calendar import IST
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.universe.partitions import range_tags, symbol_year_key
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.defs.teacher.test_assets import SETTINGS, Gate

SYMBOLS = ["INFY", "TCS", "WIPRO"]
LABELS, MODEL = dg.AssetKey("teacher_labels"), dg.AssetKey("teacher_model")


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=IST)


class Desk:
    """The deployment under test: its instance, resources and automation cursor."""

    def __init__(self, instance: dg.DagsterInstance, tmp_path: Path) -> None:
        self.instance = instance
        self.alerts_log = tmp_path / "alerts.log"
        self.resources = {
            "warehouse": WarehouseResource(database=str(tmp_path / "warehouse.duckdb")),
            "paths": ProjectPaths(models_dir=str(tmp_path / "models")),
            "teacher": SETTINGS,
            "alerts": AlertsResource(log_file=str(self.alerts_log)),
            "bar_source": SyntheticSource(),  # each run binds the source at its own clock
        }
        self.defs = dg.Definitions(
            assets=[symbol_mapping, daily_bars, corporate_actions, teacher_labels, teacher_model],
            asset_checks=[freshness_check],
            jobs=[freshness_job],
            resources=self.resources,
        )
        self.cursor = None

    def source(self, now: dt.datetime) -> SyntheticSource:
        return SyntheticSource(as_of=now.isoformat())

    def load(self, now: dt.datetime) -> None:
        """The batch a constituent list brings: mappings, corporate actions, every year's bars."""
        self.instance.add_dynamic_partitions("symbols", SYMBOLS)
        resources = {**self.resources, "bar_source": self.source(now)}
        first, last = SYMBOLS[0], SYMBOLS[-1]
        assert dg.materialize(
            [symbol_mapping],
            instance=self.instance,
            resources=resources,
            tags=range_tags(first, last),
        ).success
        assert dg.materialize(
            [corporate_actions], instance=self.instance, resources=resources
        ).success
        start, end = symbol_year_key(first, 2022), symbol_year_key(last, dt.date.today().year)
        self.bars(range_tags(start, end), now)

    def bars(self, tags: dict[str, str], now: dt.datetime) -> None:
        assert dg.materialize(
            [daily_bars, symbol_mapping.to_source_asset()],
            selection=[daily_bars],
            instance=self.instance,
            resources={**self.resources, "bar_source": self.source(now)},
            tags=tags,
        ).success

    def refresh(self, now: dt.datetime, only: str | None = None) -> None:
        """The evening refresh as the schedule asks for it (or one symbol's re-run)."""
        if only is not None:
            self.bars({"dagster/partition": symbol_year_key(only, now.year)}, now)
            return
        context = dg.build_schedule_context(instance=self.instance, scheduled_execution_time=now)
        for request in current_year_refresh.evaluate_tick(context).run_requests or []:
            self.bars(dict(request.tags), now)

    def freshness(self, now: dt.datetime) -> dg.AssetCheckEvaluation:
        context = dg.build_schedule_context(instance=self.instance, scheduled_execution_time=now)
        [request] = freshness_schedule.evaluate_tick(context).run_requests or []
        result = self.defs.resolve_job_def("freshness_job").execute_in_process(
            instance=self.instance, tags=request.tags
        )
        [evaluation] = result.get_asset_check_evaluations()
        return evaluation

    def build_teacher(self, now: dt.datetime) -> set[str]:
        """Labels and models of every symbol in one run, as a batch's backfill builds them."""
        return self.teach(set(SYMBOLS), set(SYMBOLS), now, range_tags(SYMBOLS[0], SYMBOLS[-1]))

    def teach(
        self, labels: set[str], models: set[str], now: dt.datetime, tags: dict[str, str]
    ) -> set[str]:
        """One teacher run; the symbols whose model it trained."""
        selection = [key for key, asked in ((LABELS, labels), (MODEL, models)) if asked]
        run = dg.materialize(
            [
                teacher_labels,
                teacher_model,
                daily_bars.to_source_asset(),
                corporate_actions.to_source_asset(),
            ],
            selection=selection,
            instance=self.instance,
            resources={**self.resources, "bar_source": self.source(now)},
            tags=tags,
        )
        assert run.success
        return {
            str(e.partition)
            for e in run.asset_materializations_for_node("teacher_model")
            if e.metadata["status"].value != "unchanged"
        }

    def automate(self, now: dt.datetime) -> tuple[set[str], set[str], set[str]]:
        """Evaluate the teacher's conditions until they request nothing, running what they
        request; the symbols relabelled, the models requested, and the models trained."""
        relabelled: set[str] = set()
        requested: set[str] = set()
        trained: set[str] = set()
        for _ in range(4):
            result = dg.evaluate_automation_conditions(
                defs=self.defs,
                instance=self.instance,
                asset_selection=dg.AssetSelection.assets(LABELS, MODEL),
                evaluation_time=now,
                cursor=self.cursor,
            )
            self.cursor = result.cursor
            if not result.total_requested:
                return relabelled, requested, trained
            labels = set(result.get_requested_partitions(LABELS))
            models = set(result.get_requested_partitions(MODEL))
            relabelled |= labels
            requested |= models
            for symbol in sorted(labels | models):
                asked = ({symbol} & labels, {symbol} & models)
                trained |= self.teach(*asked, now, {"dagster/partition": symbol})
        raise AssertionError("the automation conditions kept requesting runs")


@pytest.fixture
def desk(instance: dg.DagsterInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    monkeypatch.setattr(assets, "blocking_failures", Gate())
    return Desk(instance, tmp_path)


def test_three_evenings_fresh_then_overdue_and_only_changed_symbols_retrain(desk: Desk) -> None:
    monday, tuesday, wednesday, thursday = (
        dt.date(2025, 6, 30) + dt.timedelta(n) for n in range(4)
    )
    desk.load(at(monday, 18))
    assert desk.freshness(at(monday, 20)).passed
    # The sensor's first tick starts from what exists: eager never fills in history (the
    # batch's backfill builds the teacher), so the batch's labels and models are built here.
    assert desk.automate(at(monday, 21)) == (set(), set(), set())
    assert desk.build_teacher(at(monday, 21)) == set(SYMBOLS)
    assert desk.automate(at(monday, 22)) == (set(), set(), set())  # its own runs retrain nothing

    for evening in (tuesday, wednesday):
        desk.refresh(at(evening, 18))
        fresh = desk.freshness(at(evening, 20))
        assert fresh.passed, fresh.description
        assert fresh.metadata["last_held"].value == evening.isoformat()
        # One new bar per symbol: every symbol relabelled and retrained, once.
        assert desk.automate(at(evening, 21)) == (set(SYMBOLS), set(SYMBOLS), set(SYMBOLS))

    # Thursday's refresh is switched off: at the cut-off the check reads overdue, naming the
    # session held and the one lacking, the desk's log gets one line, and nothing retrains.
    overdue = desk.freshness(at(thursday, 20))
    assert not overdue.passed
    assert overdue.description.startswith(
        f"Overdue: holds {wednesday}, lacks the session of {thursday}. 3 of 3 symbol(s) behind"
    )
    assert overdue.metadata["lacking"].value == thursday.isoformat()
    [line] = desk.alerts_log.read_text().splitlines()
    assert "\toverdue\tasset=daily_bars\tpartition=INFY|2025, TCS|2025, WIPRO|2025\t" in line
    assert desk.automate(at(thursday, 21)) == (set(), set(), set())

    # One symbol's bars are refreshed late: only it is relabelled and retrained; the check
    # still names the two behind.
    desk.refresh(at(thursday, 22), only="INFY")
    assert desk.automate(at(thursday, 22)) == ({"INFY"}, {"INFY"}, {"INFY"})
    still = desk.freshness(at(thursday, 23))
    assert not still.passed and "2 of 3 symbol(s) behind: TCS, WIPRO" in still.description

    # The same refresh again changes no bar: relabelled (cheap), but no model is retrained.
    desk.refresh(at(thursday, 22), only="INFY")
    assert desk.automate(at(thursday, 23)) == ({"INFY"}, {"INFY"}, set())
