"""A symbol-month of intraday candles in the fewest Breeze calls, joined without gap or overlap.

Breeze answers at most 1000 candles a call and says nothing when it cuts an answer short. So the
month's expected candle stamps (its sessions' shapes, `market.intraday`) are cut into pages of
1000, a page ending wherever the cap falls, inside a session too; page k asks exactly from its
first expected stamp to one second before the candle after its last one, so two pages never ask
for the same minute and nothing lies between them. Each answer is then held to its page:

- a candle outside the page's span means the API read the request differently (another zone,
  another boundary rule): the pages would not join, so the fetch fails;
- an answer of 1000 candles where the page expected fewer, or whose last candle comes before the
  page's last expected one, was cut short: the fetch fails naming the first missing minute;
- an expected candle missing right at a seam (the last of one page, the first of the next) is a
  seam gap: the fetch fails naming it, unless that day has no candle at all (the symbol did not
  trade; the intraday checks report such days).

Breeze stamps a candle with its start as IST wall-clock without a zone; requests are written the
same way (IST wall-clock, with the ".000Z" suffix breeze_connect's examples use). That reading of
the request's zone is not documented by ICICI; if the API reads it as UTC, every answer lies
outside its page and the first page fails saying so, before anything is stored.
"""

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from sensequant_assets.sources.bars import BarsValidationError
from sensequant_assets.sources.breeze.candles import CANDLE_CAP
from sensequant_assets.sources.intraday_bars import PRICE_COLUMNS, ist_stamps


@dataclass(frozen=True)
class Page:
    number: int
    """1-based, of `count` pages of the month."""
    count: int
    expected: pd.DatetimeIndex
    step: pd.Timedelta

    @property
    def first(self) -> pd.Timestamp:
        return self.expected[0]

    @property
    def last(self) -> pd.Timestamp:
        return self.expected[-1]

    @property
    def end(self) -> pd.Timestamp:
        """When the page's last candle ends; the page asks up to one second before it."""
        return self.last + self.step

    def request(self) -> tuple[str, str]:
        """from_date and to_date as Breeze takes them (IST wall-clock)."""
        last_second = self.end - pd.Timedelta(seconds=1)
        return (f"{self.first:%Y-%m-%dT%H:%M:%S}.000Z", f"{last_second:%Y-%m-%dT%H:%M:%S}.000Z")

    def label(self) -> str:
        span = f"{self.first:%Y-%m-%d %H:%M} .. {self.last:%Y-%m-%d %H:%M}"
        return f"page {self.number}/{self.count} ({span})"


def plan_pages(expected: pd.DatetimeIndex, minutes: int, cap: int = CANDLE_CAP) -> list[Page]:
    """The month's expected candles cut into pages of `cap`, the last one shorter."""
    chunks = [expected[i : i + cap] for i in range(0, len(expected), cap)]
    step = pd.Timedelta(minutes=minutes)
    return [Page(n, len(chunks), chunk, step) for n, chunk in enumerate(chunks, start=1)]


def page_frame(candles: Sequence[object], page: Page, context: str) -> pd.DataFrame:
    """One page's answer as candles (ts, OHLCV), refused unless it answers exactly this page."""
    where = f"{context}, {page.label()}"
    if not all(isinstance(candle, Mapping) for candle in candles):
        raise BarsValidationError(f"{where}: the answer's Success holds non-object candles")
    if not candles:
        return pd.DataFrame(columns=["ts", *PRICE_COLUMNS, "volume"])
    frame = pd.DataFrame.from_records(list(candles))
    if "datetime" not in frame.columns:
        raise BarsValidationError(f"{where}: candles carry no 'datetime' field")
    frame["ts"] = ist_stamps(frame["datetime"], where)
    outside = (frame["ts"] < page.first) | (frame["ts"] >= page.end)
    if outside.any():
        raise BarsValidationError(
            f"{where}: Breeze answered {int(outside.sum())} candles outside the page's span, "
            f"first {frame.loc[outside, 'ts'].min():%Y-%m-%d %H:%M}: the pages would not join. "
            "The API read the request's times differently from IST wall-clock; nothing was stored."
        )
    if len(candles) >= CANDLE_CAP:
        got = pd.DatetimeIndex(frame["ts"])
        missing = page.expected.difference(got)
        if len(page.expected) < CANDLE_CAP or got.max() < page.last:
            first_missing = missing[0] if len(missing) else got.max() + page.step
            raise BarsValidationError(
                f"{where}: {len(candles)} candles reach Breeze's {CANDLE_CAP}-candle cap where "
                f"{len(page.expected)} were expected, so the answer was cut short; first missing "
                f"minute {first_missing:%Y-%m-%d %H:%M}. The source holds candles the NSE session "
                "shape does not (outside market hours?)."
            )
    repeated = frame["ts"].duplicated(keep=False)
    if repeated.any():
        raise BarsValidationError(
            f"{where}: the answer repeats the candle of "
            f"{frame.loc[repeated, 'ts'].min():%Y-%m-%d %H:%M}"
        )
    return frame[["ts", *PRICE_COLUMNS, "volume"]]


def join_pages(frames: Sequence[pd.DataFrame], pages: Sequence[Page], context: str) -> pd.DataFrame:
    """The pages' candles in order, after checking every seam against the expected candles."""
    joined = pd.concat(frames, ignore_index=True).sort_values("ts", ignore_index=True)
    stamps = pd.DatetimeIndex(joined["ts"])
    traded_days = set(stamps.date)
    for before, after in itertools.pairwise(pages):
        for stamp in (before.last, after.first):
            if stamp not in stamps and stamp.date() in traded_days:
                raise BarsValidationError(
                    f"{context}: seam gap between {before.label()} and {after.label()}: first "
                    f"missing minute {stamp:%Y-%m-%d %H:%M}, while the day has other candles"
                )
    return joined
