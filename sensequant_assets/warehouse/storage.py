"""Warehouse reads and writes that every domain shares.

Rows are replaced inside one transaction (DELETE the slice, INSERT the new rows), so a failure
half-way leaves the previous rows and a retry never duplicates them.
"""

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from sensequant_assets.market.calendar import IST
from sensequant_assets.warehouse.lake import (
    Partition,
    conflict_error,
    is_commit_conflict,
    require_held,
    writer,
)
from sensequant_assets.warehouse.tables import (
    BAR_PARTITIONS,
    DAILY_BARS,
    INTRADAY_BARS,
    UNIVERSE_MEMBERSHIP,
    Table,
    month_span,
)

Origin = Literal["synthetic", "market"]


SYMBOLS_PER_READ = 50
"""Symbols a read of many symbols' rows takes at once: a few dozen cut a DuckLake's cost of
listing its files for each query 50-fold against one a symbol, and hold 50 symbols' rows (50 x
10 years of bars, about 125,000), not the whole market's."""


def symbol_reads(symbols: Sequence[str]) -> Iterator[list[str]]:
    """`symbols` in order, SYMBOLS_PER_READ at a time: one query's worth each."""
    for start in range(0, len(symbols), SYMBOLS_PER_READ):
        yield list(symbols[start : start + SYMBOLS_PER_READ])


def among(column: str, values: Collection[object]) -> tuple[str, list[object]]:
    """`column IN (?, ...)` over `values` with its parameters; FALSE when there are none.

    Not `list_contains(?, column)`: DuckDB pushes a list of constants into the scan, where the
    file's zone maps and DuckLake's per-file statistics skip what cannot match, whereas it runs a
    function of the column on every row of every file (on a DuckLake of 500 symbols' labels, a
    file each: 22 ms a symbol read, against 110 ms).
    """
    values = list(values)
    if not values:
        return "FALSE", []
    return f"{column} IN ({', '.join('?' * len(values))})", values


def in_years(years: Collection[int]) -> tuple[str, list[object]]:
    """Rows whose `date` lies in one of `years`, with the parameters: the date span first, which
    the scan can use to skip files as it uses `among`'s list, then the exact years."""
    wanted = sorted(set(years))
    if not wanted:
        return "FALSE", []
    exact, params = among("CAST(year(date) AS INTEGER)", wanted)
    span = [dt.date(wanted[0], 1, 1), dt.date(wanted[-1] + 1, 1, 1)]
    return f"date >= ? AND date < ? AND {exact}", [*span, *params]


class SourceMismatchError(RuntimeError):
    """Writing one family of data (synthetic, market) into a warehouse bound to the other."""


def bind_origin(conn: duckdb.DuckDBPyConnection, origin: Origin, database: str) -> None:
    """Bind the warehouse to `origin` on first write; refuse any other origin afterwards."""
    row = conn.execute("SELECT origin FROM warehouse_binding").fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO warehouse_binding (origin, bound_at) VALUES (?, ?)",
            [origin, dt.datetime.now(dt.UTC).replace(tzinfo=None)],
        )
    elif row[0] != origin:
        raise SourceMismatchError(
            f"The warehouse {database} holds {row[0]} data; refusing to write {origin} data "
            f"into it. Point SENSEQUANT_WAREHOUSE at another file for the {origin} source "
            "(for example data/warehouse-synthetic.duckdb), or on DuckLake SENSEQUANT_LAKE_SCHEMA "
            "at another schema, with SENSEQUANT_LAKE_DATA_PATH unset (each schema then has a "
            "folder of its own) or at another folder."
        )


class WarehouseWriteError(RuntimeError):
    """The warehouse file could not be written (disk full, file not writable); nothing was."""


def bars_partition(symbol: str, year: int) -> Partition:
    """The daily_bars partition a write transaction declares (`transaction(writes=...)`)."""
    return DAILY_BARS.partition((symbol, year))


def intraday_partition(symbol: str, month: dt.date, interval: str) -> Partition:
    """The intraday_bars partition (one symbol-month at one interval) a transaction declares."""
    return INTRADAY_BARS.partition((symbol, interval, month))


@contextmanager
def transaction(
    conn: duckdb.DuckDBPyConnection, writes: Collection[Partition] = ()
) -> Iterator[None]:
    """Commit everything inside, or nothing: a failure rolls back every statement.

    `writes` names the partitions it replaces (`bars_partition`, `intraday_partition`, or
    `(table,)` for a whole table). On a DuckLake no other writer of them runs meanwhile: a
    second run waits for the first to commit and then reads its rows, or fails with
    `WriterBusyError` after the warehouse's lock wait (`lake.writer`); on a DuckDB file the
    file's single-writer lock already serializes processes.

    A write the file refuses (disk full, quota, permissions) surfaces either inside (DuckDB
    writes large appends straight to the file) or at COMMIT (the WAL); both become one
    WarehouseWriteError that says nothing was stored and what to do. On a DuckLake, a COMMIT
    that another writer's deletes beat becomes a WarehouseConflictError (`lake.conflict_retries`
    runs the whole transaction again).
    """
    with writer(conn, writes):
        conn.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException as exc:
            try:
                conn.execute("ROLLBACK")
            except duckdb.Error as rollback_error:  # the original error is the one to report
                exc.add_note(f"(the rollback also failed: {rollback_error})")
            if isinstance(exc, duckdb.IOException):
                raise _write_error(exc) from exc
            raise
        try:
            conn.execute("COMMIT")
        except duckdb.Error as exc:
            raise (conflict_error(exc) if is_commit_conflict(exc) else _write_error(exc)) from exc


def _write_error(exc: duckdb.Error) -> WarehouseWriteError:
    return WarehouseWriteError(
        f"The warehouse could not be written: {exc}. Nothing from this step was stored (the "
        "transaction rolled back; the previous rows are intact). Free disk space or make the "
        "file and its folder writable, then re-run."
    )


def replace_rows(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    where: str,
    params: Sequence[object],
    rows: pd.DataFrame,
) -> None:
    """Replace the rows of `table` matching `where` with `rows`; call inside `transaction`."""
    conn.execute(f"DELETE FROM {table} WHERE {where}", list(params))
    if not rows.empty:
        conn.append(table, rows, by_name=True)


def replace_slice(
    conn: duckdb.DuckDBPyConnection, table: Table, values: Sequence[object], rows: pd.DataFrame
) -> None:
    """Replace the slice of `table` that `values` name (`Table.slices`, outermost first; fewer
    values: every slice below them) with `rows`; call inside `transaction`."""
    where, params = table.where(values)
    replace_rows(conn, table.name, where, params, rows)


def replace_bars(
    conn: duckdb.DuckDBPyConnection, symbol: str, year: int, bars: pd.DataFrame
) -> None:
    """Replace one symbol-year of daily bars and record the partition; call in a `transaction`
    that declared `bars_partition(symbol, year)`."""
    require_held(conn, bars_partition(symbol, year))
    replace_slice(conn, DAILY_BARS, (symbol, year), bars)
    written = pd.DataFrame(
        [
            {
                "symbol": symbol,
                "year": year,
                "rows": len(bars),
                "written_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
            }
        ]
    )
    replace_slice(conn, BAR_PARTITIONS, (symbol, year), written)


def stored_bar_dates(
    conn: duckdb.DuckDBPyConnection, partitions: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], set[dt.date]]:
    """The session dates stored for each (symbol, year), an empty set where none, in one query."""
    dates: dict[tuple[str, int], set[dt.date]] = {partition: set() for partition in partitions}
    symbols, symbols_params = among("symbol", sorted({s for s, _ in partitions}))
    years, years_params = in_years({y for _, y in partitions})
    rows = conn.execute(
        "SELECT symbol, CAST(year(date) AS INTEGER), date FROM daily_bars "
        f"WHERE {symbols} AND {years}",
        [*symbols_params, *years_params],
    ).fetchall()
    for symbol, year, day in rows:
        if (symbol, year) in dates:
            dates[symbol, year].add(day)
    return dates


def shrink_problem(
    stored: Collection[dt.date],
    fetched: Collection[dt.date],
    shown: int = 10,
    unit: str = "session",
    item: str = "date",
) -> str | None:
    """Why replacing `stored` session dates (or candle stamps) with `fetched` ones would lose
    data, or None. `unit` and `item` name what is counted and what would disappear.

    A refresh may add sessions and correct values, but a stored date missing from the new answer
    (an empty answer, a short one, or one shifted onto other dates) would be deleted. That is
    how a flaky source erases a year while the run reports success, so it is refused unless the
    user asks for the replacement explicitly.
    """
    vanishing = sorted(set(stored) - set(fetched))
    if not vanishing:
        return None
    listed = ", ".join(day.isoformat() for day in vanishing[:shown])
    more = f" and {len(vanishing) - shown} more" if len(vanishing) > shown else ""
    return (
        f"the source answered {len(set(fetched))} {unit}(s) where {len(set(stored))} are "
        f"stored; {len(vanishing)} stored {item}(s) would disappear: {listed}{more}"
    )


def replace_intraday(
    conn: duckdb.DuckDBPyConnection,
    symbol: str,
    month: dt.date,
    interval: str,
    source: str,
    bars: pd.DataFrame,
) -> None:
    """Replace one symbol-month of intraday bars at one interval; call in a `transaction` that
    declared `intraday_partition(symbol, month, interval)`.

    `bars` is a source's intraday frame (ts zoned IST). Its rows are stored with ts as IST wall
    clock and appended as one block in time order, which keeps each partition contiguous on disk,
    so the zone maps skip every other partition.
    """
    require_held(conn, intraday_partition(symbol, month, interval))
    # One value per column: as categoricals DuckDB reads them ~4x faster than Python strings.
    same = {
        name: pd.Categorical([value]).repeat(len(bars))
        for name, value in (("symbol", symbol), ("interval", interval), ("source", source))
    }
    rows = (
        bars.sort_values("ts", kind="stable").assign(
            ts=lambda f: f["ts"].dt.tz_convert(IST).dt.tz_localize(None), **same
        )
        if not bars.empty
        else INTRADAY_BARS.empty_frame()
    )
    replace_slice(conn, INTRADAY_BARS, (symbol, interval, month), INTRADAY_BARS.select(rows))


def read_intraday(
    conn: duckdb.DuckDBPyConnection,
    symbol: str,
    start: dt.datetime,
    end: dt.datetime,
    interval: str,
) -> pd.DataFrame:
    """One symbol's candles starting in [start, end) (IST wall clock), in time order, ts zoned
    IST as sources return them.

    One symbol and a time range: the zone maps skip every row group without them, so a day
    reads one or two row groups of a 28-million-row table.
    """
    frame = conn.execute(
        "SELECT * FROM intraday_bars WHERE symbol = ? AND interval = ? AND ts >= ? AND ts < ? "
        "ORDER BY ts",
        [symbol, interval, start, end],
    ).df()
    return _zoned(frame)


def read_intraday_partitions(
    conn: duckdb.DuckDBPyConnection, partitions: Sequence[tuple[str, dt.date]], interval: str
) -> dict[tuple[str, dt.date], pd.DataFrame]:
    """Each (symbol, month)'s candles (ts zoned IST), an empty frame where none are stored, in
    one query over the run's symbols and months."""
    if not partitions:
        return {}
    spans = [month_span(month) for _, month in partitions]
    symbols, params = among("symbol", sorted({symbol for symbol, _ in partitions}))
    frame = _zoned(
        conn.execute(
            f"SELECT * FROM intraday_bars WHERE {symbols} AND interval = ? "
            "AND ts >= ? AND ts < ? ORDER BY symbol, ts",
            [
                *params,
                interval,
                min(start for start, _ in spans),
                max(end for _, end in spans),
            ],
        ).df()
    )
    stamps = frame["ts"].dt
    groups = {
        (str(symbol), dt.date(int(year), int(month), 1)): rows.reset_index(drop=True)
        for (symbol, year, month), rows in frame.groupby(
            [frame["symbol"], stamps.year, stamps.month], sort=False
        )
    }
    return {key: groups.get(key, frame.iloc[0:0]) for key in partitions}


def _zoned(frame: pd.DataFrame) -> pd.DataFrame:
    # The dtype sources return (sources.intraday_bars.TS_DTYPE), so frames compare and concat.
    frame["ts"] = pd.to_datetime(frame["ts"]).astype("datetime64[ns]").dt.tz_localize(IST.key)
    return frame


def stored_years(conn: duckdb.DuckDBPyConnection, symbols: Sequence[str]) -> dict[str, list[int]]:
    """The years of each of `symbols` whose daily_bars partition has been written (empty ones
    too), in order; an empty list for a symbol without any."""
    where, params = among("symbol", symbols)
    rows = conn.execute(
        f"SELECT symbol, year FROM bar_partitions WHERE {where} ORDER BY symbol, year", params
    ).fetchall()
    years: dict[str, list[int]] = {symbol: [] for symbol in symbols}
    for symbol, year in rows:
        years[str(symbol)].append(int(year))
    return years


def latest_bar_dates(conn: duckdb.DuckDBPyConnection) -> dict[str, dt.date]:
    """Each stored symbol's latest bar date (symbols without any bar are left out)."""
    rows = conn.execute("SELECT symbol, max(date) FROM daily_bars GROUP BY symbol").fetchall()
    return {str(symbol): day for symbol, day in rows}


def read_bars(
    conn: duckdb.DuckDBPyConnection, symbols: Sequence[str], years: Sequence[int] | None = None
) -> pd.DataFrame:
    """Daily bars for `symbols` (all years, or only `years`), ordered by symbol and date."""
    where, params = among("symbol", symbols)
    if years is not None:
        span, span_params = in_years(years)
        where, params = f"{where} AND {span}", [*params, *span_params]
    frame = conn.execute(
        f"SELECT * FROM daily_bars WHERE {where} ORDER BY symbol, date", params
    ).df()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def read_mappings(
    conn: duckdb.DuckDBPyConnection, symbols: Sequence[str] | None = None
) -> pd.DataFrame:
    """symbol_mapping rows of `symbols`, or the whole table (a few hundred rows) when None."""
    if symbols is None:
        return conn.execute("SELECT * FROM symbol_mapping ORDER BY symbol").df()
    where, params = among("symbol", symbols)
    return conn.execute(f"SELECT * FROM symbol_mapping WHERE {where} ORDER BY symbol", params).df()


def pack_features(rows: pd.DataFrame, feature_columns: Sequence[str]) -> pd.DataFrame:
    """Label rows with their feature columns folded into teacher_labels' `features` list.

    One list column (in the feature set's order, named by the rows' `settings`) keeps the table's
    declaration stable whichever feature set built the rows.
    """
    packed = rows.drop(columns=[c for c in rows.columns if c in set(feature_columns)])
    packed["features"] = list(rows.loc[:, list(feature_columns)].to_numpy(dtype="float64"))
    return packed


def unpack_features(frame: pd.DataFrame, feature_columns: Sequence[str]) -> pd.DataFrame:
    """teacher_labels rows with the `features` list spread back into named columns."""
    values = (
        np.vstack(frame["features"].to_numpy())
        if len(frame)
        else np.empty((0, len(feature_columns)))
    )
    features = pd.DataFrame(values, columns=list(feature_columns), index=frame.index)
    return pd.concat([frame.drop(columns=["features"]), features], axis=1)


def read_labels(conn: duckdb.DuckDBPyConnection, symbols: Sequence[str]) -> pd.DataFrame:
    """teacher_labels rows of `symbols`, by symbol, window, split and date; features still packed
    (the caller unpacks them with the feature set its settings name)."""
    where, params = among("symbol", symbols)
    frame = conn.execute(
        f"SELECT * FROM teacher_labels WHERE {where} "
        "ORDER BY symbol, window_index, split DESC, date",
        params,
    ).df()
    for column in ("date", "exit_date"):
        frame[column] = pd.to_datetime(frame[column])
    frame["label"] = frame["label"].astype("Int8")
    return frame


def label_row_counts(conn: duckdb.DuckDBPyConnection, symbols: Sequence[str]) -> dict[str, int]:
    """How many teacher_labels rows each of `symbols` holds (0 where none)."""
    where, params = among("symbol", symbols)
    rows = conn.execute(
        f"SELECT symbol, count(*) FROM teacher_labels WHERE {where} GROUP BY symbol", params
    ).fetchall()
    found = {str(symbol): int(count) for symbol, count in rows}
    return {symbol: found.get(symbol, 0) for symbol in symbols}


def read_predictions(
    conn: duckdb.DuckDBPyConnection, model: str, symbols: Sequence[str] | None = None
) -> pd.DataFrame:
    """Out-of-sample predictions of one model kind ('per_symbol' or 'universe')."""
    query = "SELECT * FROM teacher_predictions WHERE model = ?"
    params: list[object] = [model]
    if symbols is not None:
        where, symbols_params = among("symbol", symbols)
        query, params = f"{query} AND {where}", [*params, *symbols_params]
    frame = conn.execute(query + " ORDER BY symbol, window_index, date", params).df()
    frame["date"] = pd.to_datetime(frame["date"])
    frame["label"] = frame["label"].astype("Int8")
    return frame


def read_membership(conn: duckdb.DuckDBPyConnection, index: str | None = None) -> pd.DataFrame:
    """The universe_membership spells of one index (of all where None), dates as timestamps."""
    frame = conn.execute(
        f"SELECT * FROM {UNIVERSE_MEMBERSHIP.name} WHERE ? IS NULL OR index_name = ? "
        "ORDER BY index_name, symbol, member_from",
        [index, index],
    ).df()
    for column in ("member_from", "member_to", "last_listed"):
        frame[column] = pd.to_datetime(frame[column])
    return frame
