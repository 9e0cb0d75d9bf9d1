"""Keeping it current, with the clock advanced through NSE evenings on the synthetic source.

Each evening the schedules' own ticks drive in-process runs: current_year_refresh at 18:00 IST
(one new bar per symbol), freshness_schedule at 20:00 IST (the check the catalog shows), and the
teacher's automation conditions evaluated as teacher_automation_sensor would, with the runs they
request executed. Counted: which symbols were relabelled and which models trained. What the UI
marks unsynced is read from Dagster's own staleness resolver, per partition, as the asset's
partition page asks for it. The quality gate is stood in for (its own tests prove it), since it
judges the still-open year by the real clock while this test pins the source's.

teacher_freshness_check compares event-log times with its morning cut-off, and the event log
keeps the real clock's times, so its cut-offs are placed on the real clock.
"""

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.alerts import AlertsResource
from sensequant_assets.defs.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.defs.ingestion.schedules import current_year_refresh
from sensequant_assets.defs.quality.checks import freshness_check
from sensequant_assets.defs.quality.jobs import freshness_job
from sensequant_assets.defs.quality.schedules import freshness_schedule
from sensequant_assets.defs.reference.assets import corporate_actions
from sensequant_assets.defs.teacher import assets
from sensequant_assets.defs.teacher.assets import teacher_labels, teacher_model
from sensequant_assets.defs.teacher.checks import teacher_freshness_check
from sensequant_assets.defs.teacher.jobs import teacher_freshness_job
from sensequant_assets.defs.teacher.schedules import teacher_freshness_schedule
from sensequant_assets.market.calendar import IST
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.quality.freshness import last_cutoff
from sensequant_assets.sources.synthetic import SyntheticSource
from sensequant_assets.universe.partitions import range_tags, symbol_year_key
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.defs.teacher.test_assets import SETTINGS, Gate
from sensequant_assets_tests.faults.answers import FaultyAnswers
from sensequant_assets_tests.support.dagster_internals import StaleStatus, get_stale_status_resolver

SYMBOLS = ["INFY", "TCS", "WIPRO"]
LABELS, MODEL = dg.AssetKey("teacher_labels"), dg.AssetKey("teacher_model")
CHECK = dg.AssetCheckKey(MODEL, "teacher_freshness_check")
# The run the automation sensor launches for the teacher's check: not the 09:00 schedule's job.
AUTOMATED_CHECK = dg.define_asset_job(
    "automated_teacher_check", selection=dg.AssetSelection.checks(teacher_freshness_check)
)


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
        self.assets = [symbol_mapping, daily_bars, corporate_actions, teacher_labels, teacher_model]
        self.defs = dg.Definitions(
            assets=self.assets,
            asset_checks=[freshness_check, teacher_freshness_check],
            jobs=[freshness_job, teacher_freshness_job, AUTOMATED_CHECK],
            resources=self.resources,
        )
        self.cursor = None
        self.checked: list[dg.AssetCheckEvaluation] = []  # the check runs the automation asked for

    def source(self, now: dt.datetime, revised: str | None = None) -> SyntheticSource:
        """The source at `now`; with `revised`, it republishes that partition with one close
        corrected."""
        if revised is None:
            return SyntheticSource(as_of=now.isoformat())
        return FaultyAnswers(as_of=now.isoformat(), faults={revised: "revised"})

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

    def bars(self, tags: dict[str, str], now: dt.datetime, revised: str | None = None) -> None:
        assert dg.materialize(
            [daily_bars, symbol_mapping.to_source_asset()],
            selection=[daily_bars],
            instance=self.instance,
            resources={**self.resources, "bar_source": self.source(now, revised)},
            tags=tags,
        ).success

    def correct(self, partition: str, now: dt.datetime) -> None:
        """The source republishes one partition with a corrected bar, and it is fetched again."""
        self.bars({"dagster/partition": partition}, now, revised=partition)

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

    def teacher_freshness(self, judged_at: dt.datetime) -> dg.AssetCheckEvaluation:
        """The teacher's check as its morning schedule runs it at `judged_at`."""
        context = dg.build_schedule_context(
            instance=self.instance, scheduled_execution_time=judged_at
        )
        [request] = teacher_freshness_schedule.evaluate_tick(context).run_requests or []
        return self.run_teacher_check("teacher_freshness_job", request.tags)

    def run_teacher_check(self, job: str, tags: dict[str, str]) -> dg.AssetCheckEvaluation:
        result = self.defs.resolve_job_def(job).execute_in_process(
            instance=self.instance, tags=tags
        )
        [evaluation] = result.get_asset_check_evaluations()
        return evaluation

    def unsynced(self) -> set[tuple[str, str]]:
        """Every partition the UI marks unsynced (its partition page asks Dagster's staleness
        resolver, `AssetPartitionStaleQuery`), as (asset, partition)."""
        resolver = get_stale_status_resolver(self.instance, self.assets)
        keys = {
            LABELS: SYMBOLS,
            MODEL: SYMBOLS,
            dg.AssetKey("daily_bars"): [
                symbol_year_key(s, year) for s in SYMBOLS for year in range(2022, 2026)
            ],
        }
        return {
            (key.to_user_string(), partition)
            for key, partitions in keys.items()
            for partition in partitions
            if resolver.get_status(key, partition) == StaleStatus.STALE
        }

    def build_teacher(self, now: dt.datetime) -> tuple[set[str], set[str]]:
        """Labels and models of every symbol in one run, as a batch's backfill builds them."""
        return self.teach(set(SYMBOLS), set(SYMBOLS), now, range_tags(SYMBOLS[0], SYMBOLS[-1]))

    def teach(
        self, labels: set[str], models: set[str], now: dt.datetime, tags: dict[str, str]
    ) -> tuple[set[str], set[str]]:
        """One teacher run; the symbols whose labels it rebuilt and whose model it trained."""
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
        rebuilt = {
            node: {
                str(e.partition)
                for e in run.asset_materializations_for_node(node)
                if e.metadata["status"].value != "unchanged"
            }
            for node in ("teacher_labels", "teacher_model")
        }
        return rebuilt["teacher_labels"], rebuilt["teacher_model"]

    def automate(self, now: dt.datetime) -> tuple[set[str], set[str], set[str]]:
        """Evaluate the teacher's conditions (and its freshness check's) until they request
        nothing, running what they request; the symbols whose labels were rebuilt, the models
        requested, and the models trained."""
        relabelled: set[str] = set()
        requested: set[str] = set()
        trained: set[str] = set()
        for _ in range(5):
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
            requested |= models
            for symbol in sorted(labels | models):
                asked = ({symbol} & labels, {symbol} & models)
                rebuilt, retrained = self.teach(*asked, now, {"dagster/partition": symbol})
                relabelled |= rebuilt
                trained |= retrained
            if any(r.key == CHECK and r.true_subset.size for r in result.results):
                self.checked.append(self.run_teacher_check(AUTOMATED_CHECK.name, {}))
        raise AssertionError("the automation conditions kept requesting runs")


@pytest.fixture
def desk(instance: dg.DagsterInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    monkeypatch.setattr(assets, "blocking_failures", Gate())
    return Desk(instance, tmp_path)


def test_three_evenings_fresh_then_overdue_and_only_changed_symbols_retrain(desk: Desk) -> None:
    monday, tuesday, wednesday, thursday, friday = (
        dt.date(2025, 6, 30) + dt.timedelta(n) for n in range(5)
    )
    desk.load(at(monday, 18))
    assert desk.freshness(at(monday, 20)).passed
    # The sensor's first tick starts from what exists: eager never fills in history (the
    # batch's backfill builds the teacher), so the batch's labels and models are built here.
    assert desk.automate(at(monday, 21)) == (set(), set(), set())
    assert desk.build_teacher(at(monday, 21)) == (set(SYMBOLS), set(SYMBOLS))
    assert desk.automate(at(monday, 22)) == (set(), set(), set())  # its own runs retrain nothing
    assert desk.unsynced() == set()

    for evening in (tuesday, wednesday):
        desk.refresh(at(evening, 18))
        fresh = desk.freshness(at(evening, 20))
        assert fresh.passed, fresh.description
        assert fresh.metadata["last_held"].value == evening.isoformat()
        # One new bar per symbol: each symbol's labels read unsynced (through the symbol x year
        # to symbol mapping, the current year's partition named), until relabelled and
        # retrained, once.
        assert desk.unsynced() == {("teacher_labels", symbol) for symbol in SYMBOLS}
        assert desk.automate(at(evening, 21)) == (set(SYMBOLS), set(SYMBOLS), set(SYMBOLS))
        assert desk.unsynced() == set()

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

    # The same refresh again stores the same bars: their data versions do not change, so
    # nothing reads unsynced, nothing is asked for, relabelled or retrained.
    desk.refresh(at(thursday, 22), only="INFY")
    assert desk.unsynced() == set()
    assert desk.automate(at(thursday, 23)) == (set(), set(), set())
    # Nor does a batch's backfill that asks for every symbol anyway: labels and models are
    # materialized again, unchanged, with the data versions they had, so the automation's next
    # tick asks for nothing either.
    assert desk.build_teacher(at(thursday, 23)) == (set(), set())
    assert desk.automate(at(thursday, 23)) == (set(), set(), set())

    # The source republishes a closed year of TCS with one close corrected. Exactly TCS's
    # labels read unsynced, caused by that partition. (Its model does not yet: Dagster 1.13
    # compares each asset with its direct dependencies only, so the model turns unsynced when
    # its labels change, which the automation does next.)
    desk.correct("TCS|2024", at(thursday, 23))
    assert desk.unsynced() == {("teacher_labels", "TCS")}
    causes = get_stale_status_resolver(desk.instance, desk.assets).get_stale_root_causes(
        LABELS, "TCS"
    )
    assert [(c.asset_key.to_user_string(), c.partition_key) for c in causes] == [
        ("daily_bars", "TCS|2024")
    ]

    # The teacher's own freshness (its cut-off on the real clock, see the module docstring):
    # before the next morning's cut-off the retrain is pending; at it, with the automation off,
    # TCS's model is overdue, naming what it holds and what it lacks, and the desk's log gets
    # the line.
    stored = dt.datetime.now(dt.UTC)
    pending = desk.teacher_freshness(stored)
    assert (
        pending.passed and "1 retrain(s) pending on bars stored since: TCS." in pending.description
    )
    next_cutoff = last_cutoff(stored) + dt.timedelta(days=1)
    late = desk.teacher_freshness(next_cutoff)
    assert not late.passed
    assert late.description.startswith(
        f"Overdue: 1 of 3 model(s) lack bars stored before the 09:00 IST cut-off of "
        f"{next_cutoff:%Y-%m-%d}: TCS holds bars through {wednesday}, lacks TCS|2024 (bars "
        "through 2024-12-31, stored "
    ), late.description
    overdue_line = desk.alerts_log.read_text().splitlines()[-1]
    assert "\toverdue\tasset=teacher_model\tpartition=TCS\treason=Overdue: 1 of 3" in overdue_line

    # The automation relabels and retrains TCS alone and re-runs the check after the model's
    # update (the catalog reads fresh again, no alert line: only the 09:00 run writes one);
    # nothing reads unsynced, and at that cut-off the model is fresh.
    checked = len(desk.checked)
    assert desk.automate(at(friday, 9)) == ({"TCS"}, {"TCS"}, {"TCS"})
    assert [e.passed for e in desk.checked[checked:]] == [True]
    assert desk.alerts_log.read_text().splitlines()[-1] == overdue_line
    assert desk.unsynced() == set()
    assert desk.teacher_freshness(next_cutoff).passed


def test_the_teacher_check_before_any_model_is_trained_passes_with_none(desk: Desk) -> None:
    """A first backfill whose models are all gated (or not built yet): bars and no model. The
    check judged the bars of every symbol against no model and failed its step (KeyError)."""
    monday = dt.date(2025, 6, 30)
    desk.load(at(monday, 18))
    verdict = desk.teacher_freshness(at(monday + dt.timedelta(1), 8))
    assert verdict.passed, verdict.description
    assert verdict.metadata["models"].value == 0
