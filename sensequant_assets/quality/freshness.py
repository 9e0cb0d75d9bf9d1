"""Freshness of daily_bars on the NSE calendar: is the last session that should be stored, stored?

A session is due once the evening cut-off (20:00 IST) after its 15:30 close has passed: the
refresh runs at 18:00 IST, so the cut-off leaves it two hours. Weekends, holidays and special
sessions come from the same calendar and reference file the coverage check uses
(`market.calendar` with `data/reference/sessions.csv`, then the bars across symbols:
`quality.evaluate.freshness_evidence`), and are judged as it judges them: a holiday is never due,
and neither is a special session (a Muhurat hour that some sources omit and that ends after
19:00): a bar there counts as held, its absence is never overdue. In a new year whose holiday
list is not added yet, a weekday no symbol has a bar for is such a holiday (`quality.sessions`).

The warehouse is as fresh as its stalest symbol: a refresh that failed for one chunk leaves those
symbols a session behind, and the verdict names them.
"""

import datetime as dt
from typing import NamedTuple

from sensequant_assets.market.calendar import (
    IST,
    NSE_CLOSE,
    KnownDays,
    last_closed_day,
    trading_days,
)

FRESHNESS_CUTOFF = dt.time(20, 0)
"""IST time by which the day's session must be stored (the refresh runs at 18:00 IST)."""
SHOWN_SYMBOLS = 10
"""How many symbols behind a freshness description names before it says "and N more"."""


class FreshnessVerdict(NamedTuple):
    """Whether the due session is stored; if not, the last one held and the first one lacking."""

    fresh: bool
    last_held: dt.date | None
    lacking: dt.date | None

    def describe(self) -> str:
        held = self.last_held.isoformat() if self.last_held else "no session"
        if self.fresh:
            return f"Fresh: holds the session of {held}."
        return f"Overdue: holds {held}, lacks the session of {self.lacking}."


def due_session(now: dt.datetime, known: KnownDays, cutoff: dt.time = FRESHNESS_CUTOFF) -> dt.date:
    """The latest regular session whose cut-off has passed at `now` (close plus the slack)."""
    day = now.astimezone(IST).date()
    slack = dt.datetime.combine(day, cutoff) - dt.datetime.combine(day, NSE_CLOSE)
    closed = last_closed_day(now - slack)
    for year in (closed.year, closed.year - 1):
        if done := [d for d in trading_days(year, known) if d <= closed]:
            return max(done)
    raise ValueError(f"No NSE session on or before {closed}")


def sessions_after(day: dt.date, through: dt.date, known: KnownDays) -> list[dt.date]:
    """Regular sessions after `day` up to and including `through`, in order."""
    days = (d for year in range(day.year, through.year + 1) for d in trading_days(year, known))
    return sorted(d for d in days if day < d <= through)


def freshness_verdict(
    latest_stored_session: dt.date | None,
    now: dt.datetime,
    known_days: KnownDays,
    cutoff: dt.time = FRESHNESS_CUTOFF,
) -> FreshnessVerdict:
    """Fresh when the latest stored session is the due one (or later); otherwise the session held
    and the first session after it that is due and missing."""
    due = due_session(now, known_days, cutoff)
    if latest_stored_session is not None and latest_stored_session >= due:
        return FreshnessVerdict(True, latest_stored_session, None)
    if latest_stored_session is None:
        return FreshnessVerdict(False, None, due)
    lacking = sessions_after(latest_stored_session, due, known_days)
    return FreshnessVerdict(False, latest_stored_session, lacking[0] if lacking else due)


def universe_verdict(
    latest_by_symbol: dict[str, dt.date], now: dt.datetime, known_days: KnownDays
) -> tuple[FreshnessVerdict, list[str]]:
    """The verdict of the stalest symbol, and every symbol behind the due session (sorted)."""
    stalest = min(latest_by_symbol.values(), default=None)
    verdict = freshness_verdict(stalest, now, known_days)
    due = due_session(now, known_days)
    behind = sorted(symbol for symbol, day in latest_by_symbol.items() if day < due)
    return verdict, behind


def universe_description(
    verdict: FreshnessVerdict, behind: list[str], symbols: int, note: str = ""
) -> str:
    """The verdict, the symbols behind out of `symbols` stored (the first SHOWN_SYMBOLS), and the
    calendar's `note` (a year without its holiday list), as the freshness check shows them."""
    description = verdict.describe()
    if behind:
        shown = ", ".join(behind[:SHOWN_SYMBOLS])
        more = f" and {len(behind) - SHOWN_SYMBOLS} more" if len(behind) > SHOWN_SYMBOLS else ""
        description += f" {len(behind)} of {symbols} symbol(s) behind: {shown}{more}."
    if note:
        description += f" {note}"
    return description


def overdue_partitions(verdict: FreshnessVerdict, behind: list[str], now: dt.datetime) -> str:
    """The daily_bars partitions an overdue alert names: the first SHOWN_SYMBOLS symbols behind,
    in the year of the session they lack."""
    year = verdict.lacking.year if verdict.lacking else now.year
    return ", ".join(f"{symbol}|{year}" for symbol in behind[:SHOWN_SYMBOLS])


TEACHER_CUTOFF = dt.time(9, 0)
"""IST time by which each model must hold the bars stored before it (the NSE opens at 09:15)."""


def last_cutoff(now: dt.datetime, cutoff: dt.time = TEACHER_CUTOFF) -> dt.datetime:
    """The latest teacher cut-off (IST) at or before `now`."""
    local = now.astimezone(IST)
    moment = dt.datetime.combine(local.date(), cutoff, tzinfo=IST)
    return moment if moment <= local else moment - dt.timedelta(days=1)


class StoredBars(NamedTuple):
    """A daily_bars partition as its latest materialization reports it."""

    version: str
    stored_at: dt.datetime
    last_date: str


class TrainedModel(NamedTuple):
    """A model as its latest materialization reports it: the bars data versions its labels were
    built from (partition -> version) and the last session they held."""

    bars_versions: dict[str, str]
    last_session: str


class ModelVerdict(NamedTuple):
    """One symbol's model against its bars: the bars partitions it lacks that were stored before
    the cut-off (overdue) and those stored since (the automation still has time)."""

    symbol: str
    holds: str
    lacking: list[str]
    pending: list[str]
    bars: dict[str, StoredBars]

    @property
    def overdue(self) -> bool:
        return bool(self.lacking)

    def describe(self) -> str:
        lacks = ", ".join(
            f"{key} (bars through {self.bars[key].last_date or 'none'}, stored "
            f"{self.bars[key].stored_at.astimezone(IST):%Y-%m-%d %H:%M} IST)"
            for key in self.lacking
        )
        return f"{self.symbol} holds bars through {self.holds or 'no session'}, lacks {lacks}"


def model_verdict(
    symbol: str, model: TrainedModel, bars: dict[str, StoredBars], cutoff_at: dt.datetime
) -> ModelVerdict:
    """Which of the symbol's bars partitions (`bars`, keyed SYMBOL|YEAR) the model lacks: those
    whose data version is not the one its labels were built from (a new partition, a new
    session, a corrected bar), split by whether they were stored before `cutoff_at`."""
    changed = sorted(
        key for key, stored in bars.items() if model.bars_versions.get(key) != stored.version
    )
    return ModelVerdict(
        symbol=symbol,
        holds=model.last_session,
        lacking=[key for key in changed if bars[key].stored_at < cutoff_at],
        pending=[key for key in changed if bars[key].stored_at >= cutoff_at],
        bars=bars,
    )


def teacher_description(
    verdicts: list[ModelVerdict], cutoff_at: dt.datetime, shown: int = 10
) -> str:
    """Fresh, or overdue naming each model behind (the first `shown`): what it holds and what
    it lacks."""
    when = (
        f"the {cutoff_at.astimezone(IST):%H:%M} IST cut-off of {cutoff_at.astimezone(IST):%Y-%m-%d}"
    )
    behind = [verdict for verdict in verdicts if verdict.overdue]
    pending = [verdict.symbol for verdict in verdicts if verdict.pending and not verdict.overdue]
    waiting = (
        f" {len(pending)} retrain(s) pending on bars stored since: {', '.join(pending[:shown])}."
        if pending
        else ""
    )
    if not behind:
        return f"Fresh: {len(verdicts)} model(s) hold the bars stored before {when}.{waiting}"
    listed = "; ".join(verdict.describe() for verdict in behind[:shown])
    more = f"; and {len(behind) - shown} more" if len(behind) > shown else ""
    return (
        f"Overdue: {len(behind)} of {len(verdicts)} model(s) lack bars stored before {when}: "
        f"{listed}{more}.{waiting}"
    )
