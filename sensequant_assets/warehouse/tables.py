"""Every warehouse table, declared once.

A `Table` yields the things that must never drift apart: the `CREATE TABLE` every connection
runs, the `dg.TableSchema` the UI shows on the asset (each column's constraints included), and
the checks a frame passes before it is written, the empty frame of its columns, and how it is
sliced per partition. The column checks are dagster-pandas' own (`PandasColumn`: dtype family, no
nulls where the table forbids them, minimums); what it cannot express stays here by hand: a key
over several columns held once (it checks one column at a time). `CREATE ... IF NOT EXISTS`
makes every connection self-initialising.

A table's `slices` are the keys its writes replace rows by (a symbol-year of daily_bars): the
WHERE clause a write deletes (`storage.replace_slice`), the partition a DuckLake writer declares,
the slices the lake migration copies one by one, and the Hive folders of its snapshot files all
come from them, so the four can never cut a table differently.
"""

import datetime as dt
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import dagster as dg
import numpy as np
import pandas as pd
from dagster_pandas import PandasColumn
from dagster_pandas.constraints import (
    ColumnConstraint,
    ColumnConstraintViolationException,
    ColumnDTypeFnConstraint,
    MinValueColumnConstraint,
    NonNullableColumnConstraint,
)
from pandas.api import types as dtypes

# The smallest NSE tick; a price below it is not a price.
MIN_PRICE = 0.01


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    nullable: bool = True
    description: str | None = None
    minimum: float | None = None
    """Smallest allowed value, checked on frames before they are written."""
    check: str | None = None
    """An SQL CHECK constraint on the column."""

    def ddl(self, constraints: bool = True) -> str:
        constraint = f" CHECK ({self.check})" if self.check and constraints else ""
        return f'"{self.name}" {self.sql_type}{"" if self.nullable else " NOT NULL"}{constraint}'

    @property
    def base_type(self) -> str:
        """The SQL type without its DEFAULT clause: `BOOLEAN DEFAULT 'true'` is `BOOLEAN`."""
        return self.sql_type.split()[0]

    @property
    def empty_dtype(self) -> str:
        """The pandas dtype of the column in an empty frame; a nullable integer column takes
        pandas' nullable kind (`Int8`), which can hold the missing values the table allows."""
        dtype = SQL_TYPES[self.base_type][1]
        return dtype.capitalize() if self.nullable and dtype.startswith("int") else dtype

    def pandas_column(self) -> PandasColumn:
        """The column as dagster-pandas declares one: non-null first (so a NaN reads as missing,
        not as out of range), then the dtype family of its SQL type, then its minimum."""
        return _pandas_column(self)


@cache
def _pandas_column(column: Column) -> PandasColumn:
    constraints: list[ColumnConstraint] = []
    if not column.nullable:
        constraints.append(NonNullableColumnConstraint())
    constraints.append(ColumnDTypeFnConstraint(SQL_TYPES[column.base_type][0]))
    if column.minimum is not None:
        constraints.append(MinValueColumnConstraint(column.minimum, ignore_missing_vals=True))
    return frame_column(column.name, constraints)


def frame_column(name: str, constraints: Sequence[ColumnConstraint]) -> PandasColumn:
    """A dagster-pandas column. PandasColumn is marked beta: the version is pinned
    (requirements.lock) and tests cover every rule used, so its warning, which would repeat in
    every run's log, is silenced here, at the one place columns are built."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return PandasColumn(name, constraints=list(constraints))


def month_span(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first instant, first instant of the next month) of `month`: a range on `ts` that the
    zone maps can skip row groups by (a function of ts, like month(ts), could not)."""
    start = dt.datetime(month.year, month.month, 1)
    return start, dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1)


@dataclass(frozen=True)
class Key:
    """One level of a table's slicing: the name its partition and snapshot folders carry
    (`year=2024`), the SQL that computes a row's value, and that value's type."""

    name: str
    expression: str
    sql_type: str
    month_of: str | None = None
    """For a month key ('2024-03'): the timestamp column it is the month of. The slice is then
    matched as a range on that column, which zone maps skip row groups by; `expression = ?`
    could not be."""

    def text(self, value: object) -> str:
        """The value as partitions and folder names spell it (a month as `2024-03`)."""
        if self.month_of and isinstance(value, dt.date):
            return f"{value:%Y-%m}"
        return str(value)

    def match(self, value: object) -> tuple[str, list[object]]:
        """The SQL condition (with its parameters) that holds for exactly the rows of `value`."""
        if self.month_of:
            month = dt.datetime.strptime(self.text(value), "%Y-%m").date()
            return f"{self.month_of} >= ? AND {self.month_of} < ?", list(month_span(month))
        return f"{self.expression} = CAST(? AS {self.sql_type})", [value]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    indexed: bool = True
    """Whether the primary key is declared in SQL too (DuckDB then keeps an ART index of it).
    Frames are checked for duplicate keys before every write either way."""
    slices: tuple[Key, ...] = ()
    """The keys its writes replace rows by, outermost first; none: it is written whole."""
    snapshot_keys: int | None = None
    """How many of `slices` cut its snapshot into folders; None: all of them. A small table
    written slice by slice can still be one snapshot file (0)."""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def folder_keys(self) -> tuple[Key, ...]:
        """The keys its snapshot is cut by into Hive folders (`symbol=INFY/year=2024`)."""
        return self.slices[: self.snapshot_keys]

    def where(self, values: Sequence[object]) -> tuple[str, list[object]]:
        """The condition (and its parameters) that selects the slice `values` names, outermost
        key first; fewer values than keys select every slice below them, none the whole table."""
        if len(values) > len(self.slices):
            raise ValueError(f"{self.name} is sliced by {len(self.slices)} keys, not {values!r}")
        terms, params = [], []
        for key, value in zip(self.slices, values, strict=False):
            term, key_params = key.match(value)
            terms.append(term)
            params.extend(key_params)
        return " AND ".join(terms) or "TRUE", params

    def partition(self, values: Sequence[object]) -> tuple[str, ...]:
        """The partition a write transaction declares to the DuckLake writer lock: the table's
        name and each key's value as text (`("daily_bars", "TCS", "2024")`)."""
        return (self.name, *(key.text(v) for key, v in zip(self.slices, values, strict=False)))

    def empty_frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """An empty frame of its columns (or of `columns`, in that order) in the dtypes its
        frames hold, so that it concatenates and compares with a full one."""
        by_name = {column.name: column for column in self.columns}
        names = self.column_names if columns is None else columns
        return pd.DataFrame({name: pd.Series(dtype=by_name[name].empty_dtype) for name in names})

    def ddl(self, constraints: bool = True) -> str:
        """`CREATE TABLE IF NOT EXISTS`; without `constraints`, NOT NULL is the only one kept.

        DuckLake refuses PRIMARY KEY, UNIQUE and CHECK constraints. On the lake, keys stay unique
        because every write replaces whole partitions (DELETE the slice, INSERT it) from frames
        with unique keys (daily_bars' pass `value_problems` before any write), and the CHECKs'
        values come only from this code; the DuckDB file keeps enforcing both.
        """
        parts = [column.ddl(constraints) for column in self.columns]
        if self.primary_key and self.indexed and constraints:
            parts.append(f"PRIMARY KEY ({', '.join(self.primary_key)})")
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n    " + ",\n    ".join(parts) + "\n)"

    def table_schema(self) -> dg.TableSchema:
        """The column schema the UI shows next to the asset that writes this table: each column's
        dagster-pandas constraints beyond nullability, as the frames written are checked."""
        return dg.TableSchema(
            columns=[
                dg.TableColumn(
                    column.name,
                    column.sql_type,
                    description=column.description,
                    constraints=dg.TableColumnConstraints(
                        nullable=column.nullable,
                        other=[
                            _shown(constraint)
                            for constraint in column.pandas_column().constraints
                            if not isinstance(constraint, NonNullableColumnConstraint)
                        ],
                    ),
                )
                for column in self.columns
            ],
            constraints=dg.TableConstraints(other=[f"unique ({', '.join(self.primary_key)})"])
            if self.primary_key
            else None,
        )

    def metadata(self) -> dict[str, object]:
        """Asset metadata naming the table and its columns."""
        return {"dagster/table_name": self.name, "dagster/column_schema": self.table_schema()}

    def missing_columns(self, frame: pd.DataFrame) -> list[str]:
        return [name for name in self.column_names if name not in frame.columns]

    def select(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame's columns in table order; a missing column is a programming error."""
        if missing := self.missing_columns(frame):
            raise ValueError(f"rows for {self.name} lack columns {missing}")
        return frame.loc[:, list(self.column_names)]

    def value_problems(self, frame: pd.DataFrame) -> dict[str, pd.Series]:
        """Row masks of values the table refuses, keyed by a human description of the rule: per
        column the first dagster-pandas constraint it breaks, then the key held once."""
        problems: dict[str, pd.Series] = {}
        for column in self.columns:
            for constraint, mask in column_violations(frame, [column.pandas_column()]).items():
                problems[_rule(column, constraint)] = mask
        if self.primary_key:
            duplicated = frame.duplicated(list(self.primary_key), keep="first")
            if duplicated.any():
                problems[f"duplicate {' and '.join(self.primary_key)}"] = duplicated
        return problems


# Per SQL type: the pandas dtype family its frames must hold (checked by dagster-pandas), and
# the dtype of the column in an empty frame (of that family).
SQL_TYPES: dict[str, tuple[Callable[[object], bool], str]] = {
    "VARCHAR": (dtypes.is_string_dtype, "object"),
    "DOUBLE": (dtypes.is_float_dtype, "float64"),
    "BIGINT": (dtypes.is_integer_dtype, "int64"),
    "INTEGER": (dtypes.is_integer_dtype, "int32"),
    "TINYINT": (dtypes.is_integer_dtype, "int8"),
    "DOUBLE[]": (dtypes.is_object_dtype, "object"),  # one Python list per row
    "DATE": (dtypes.is_datetime64_any_dtype, "datetime64[ns]"),
    "TIMESTAMP": (dtypes.is_datetime64_any_dtype, "datetime64[ns]"),
    "BOOLEAN": (dtypes.is_bool_dtype, "bool"),
}


def column_violations(
    frame: pd.DataFrame, columns: Sequence[PandasColumn]
) -> dict[tuple[str, str], pd.Series]:
    """Run dagster-pandas' column checks; per column, the first constraint broken, keyed by
    (column, constraint name), with the mask of the rows that break it (all rows for a dtype).

    dagster-pandas raises on the first violation and names rows by index label, so each column is
    validated on its own over a positional index, and the rows come back as a mask on `frame`.
    """
    positional = frame.reset_index(drop=True)
    found: dict[tuple[str, str], pd.Series] = {}
    for column in columns:
        try:
            column.validate(positional)
        except ColumnConstraintViolationException as exc:
            rows = exc.offending_rows
            if rows is None:
                where = np.ones(len(frame), dtype=bool)
            else:
                labels = rows.index if isinstance(rows, pd.DataFrame) else [i for i, _ in rows]
                where = np.isin(np.arange(len(frame)), list(labels))
            found[column.name, exc.constraint_name] = pd.Series(where, index=frame.index)
    return found


def _shown(constraint: ColumnConstraint) -> str:
    """A constraint as the UI's column schema lists it (dagster-pandas writes an inclusive
    minimum as `values > m`, which would misstate it)."""
    if isinstance(constraint, MinValueColumnConstraint):
        return f"values >= {constraint.min_value:g}"
    return constraint.markdown_description


def _rule(column: Column, constraint: tuple[str, str]) -> str:
    kind = constraint[1]
    if kind == NonNullableColumnConstraint.__name__:
        return f"{column.name} is missing (NaN)"
    if kind == MinValueColumnConstraint.__name__:
        return _below(column)
    return f"{column.name} does not hold {column.sql_type} values ({kind})"


def _below(column: Column) -> str:
    if column.minimum == MIN_PRICE:
        return f"{column.name} is not a positive price"
    if column.minimum == 0:
        return f"{column.name} is negative"
    return f"{column.name} is below {column.minimum:g}"


def _doubles(names: Sequence[str]) -> tuple[Column, ...]:
    return tuple(Column(name, "DOUBLE") for name in names)


# The key most tables are sliced by first.
SYMBOL = Key("symbol", "symbol", "VARCHAR")

# The default is the literal 'true': DuckLake accepts no other kind of default expression.
WAREHOUSE_BINDING = Table(
    "warehouse_binding",
    (
        Column("singleton", "BOOLEAN DEFAULT 'true'", nullable=False, check="singleton"),
        Column("origin", "VARCHAR", nullable=False, description="synthetic or market"),
        Column("bound_at", "TIMESTAMP", nullable=False),
    ),
    primary_key=("singleton",),
)

SYMBOL_MAPPING = Table(
    "symbol_mapping",
    (
        Column("symbol", "VARCHAR", nullable=False, description="Universe symbol"),
        Column("nse_ticker", "VARCHAR", nullable=False, description="NSE ticker looked up"),
        Column("isec_code", "VARCHAR", description="ICICI stock code; NULL if unresolved"),
        Column("isec_token", "VARCHAR"),
        Column("company_name", "VARCHAR"),
        Column("status", "VARCHAR", nullable=False, description="success or failed"),
        Column("error", "VARCHAR", description="Why the lookup failed"),
        Column("source", "VARCHAR", nullable=False),
        Column("updated_at", "TIMESTAMP", nullable=False),
    ),
    primary_key=("symbol",),
    slices=(SYMBOL,),
    snapshot_keys=0,
)

DAILY_BARS = Table(
    "daily_bars",
    (
        Column("symbol", "VARCHAR", nullable=False, description="Universe symbol"),
        Column("date", "DATE", nullable=False, description="NSE session date (IST)"),
        Column("open", "DOUBLE", nullable=False, minimum=MIN_PRICE),
        Column("high", "DOUBLE", nullable=False, minimum=MIN_PRICE),
        Column("low", "DOUBLE", nullable=False, minimum=MIN_PRICE),
        Column("close", "DOUBLE", nullable=False, minimum=MIN_PRICE),
        Column("volume", "BIGINT", nullable=False, minimum=0, description="Shares traded"),
        Column(
            "source",
            "VARCHAR",
            nullable=False,
            description="Data source that produced the bar: synthetic, csv or breeze",
        ),
    ),
    primary_key=("symbol", "date"),
    slices=(SYMBOL, Key("year", "year(date)", "INTEGER")),
)

INTERVALS_SQL = "interval IN ('1minute', '5minute', '30minute')"

# 28 million rows for NIFTY 100 x 3 years of 1-minute candles. No index on the key: DuckDB's ART
# index over it costs memory and write time on every partition replace and DuckLake has none;
# instead each partition is appended as one block sorted by time, so the zone maps (min/max of
# symbol and ts per row group) let a symbol-day read one or two row groups (docs/benchmarks.md).
INTRADAY_BARS = Table(
    "intraday_bars",
    (
        Column("symbol", "VARCHAR", nullable=False, description="Universe symbol"),
        Column(
            "interval",
            "VARCHAR",
            nullable=False,
            description="Candle length: 1minute, 5minute or 30minute",
            check=INTERVALS_SQL,
        ),
        Column(
            "ts",
            "TIMESTAMP",
            nullable=False,
            description="Candle start, IST wall-clock time as the exchange and Breeze give it",
        ),
        Column("open", "DOUBLE", nullable=False, minimum=MIN_PRICE),
        Column("high", "DOUBLE", nullable=False, minimum=MIN_PRICE),
        Column("low", "DOUBLE", nullable=False, minimum=MIN_PRICE),
        Column("close", "DOUBLE", nullable=False, minimum=MIN_PRICE),
        Column("volume", "BIGINT", nullable=False, minimum=0, description="Shares traded"),
        Column("source", "VARCHAR", nullable=False, description="synthetic or breeze"),
    ),
    primary_key=("symbol", "interval", "ts"),
    indexed=False,
    slices=(
        SYMBOL,
        Key("interval", "interval", "VARCHAR"),
        Key("month", "strftime(ts, '%Y-%m')", "VARCHAR", month_of="ts"),
    ),
)

# One row per daily_bars partition ever written, empty ones included: which symbol-years exist
# is a fact of the warehouse, so the teacher gate never has to guess it.
BAR_PARTITIONS = Table(
    "bar_partitions",
    (
        Column("symbol", "VARCHAR", nullable=False),
        Column("year", "INTEGER", nullable=False),
        Column("rows", "INTEGER", nullable=False),
        Column("written_at", "TIMESTAMP", nullable=False),
    ),
    primary_key=("symbol", "year"),
    slices=(SYMBOL, Key("year", "year", "INTEGER")),
    snapshot_keys=0,
)

# Settings, as canonical JSON, that built a row: label horizon and threshold rule, windows,
# feature set and its version (teacher/labels.py::label_settings). Stored with every label, run
# and model, so that nothing trains on, or is read as, what other settings built.
SETTINGS = Column("settings", "VARCHAR", nullable=False, description="Settings that built the row")

TEACHER_LABELS = Table(
    "teacher_labels",
    (
        Column("symbol", "VARCHAR", nullable=False),
        Column("window_index", "INTEGER", nullable=False, description="Walk-forward window"),
        Column(
            "split",
            "VARCHAR",
            nullable=False,
            description="train, or eval (after the purge gap)",
            check="split IN ('train', 'eval')",
        ),
        Column("date", "DATE", nullable=False, description="Decision session t (after its close)"),
        Column(
            "features",
            "DOUBLE[]",
            nullable=False,
            description="Feature values at t's close, in the order of the settings' feature set",
        ),
        Column(
            "entry_at", "VARCHAR", description="open or close: the t+1 price the trade enters at"
        ),
        Column(
            "exit_date", "DATE", description="Session t+1+H, where the exit is; NULL if unknown"
        ),
        Column(
            "past_return", "DOUBLE", description="close[t] / close[t-H] - 1 (momentum baseline)"
        ),
        Column("threshold", "DOUBLE", description="Move a label must exceed, as a fraction"),
        Column("forward_return", "DOUBLE", description="close[t+1+H] / entry[t+1] - 1"),
        Column(
            "label",
            "TINYINT",
            description="1 above +threshold, 0 below -threshold; NULL if neither or unknown",
        ),
        Column("weight", "DOUBLE", description="Average uniqueness of the label, in (0, 1]"),
        SETTINGS,
    ),
    primary_key=("symbol", "window_index", "date"),
    slices=(SYMBOL,),
)

_WINDOW_RESULTS = (
    Column("window_index", "INTEGER", nullable=False),
    Column("status", "VARCHAR", nullable=False, check="status IN ('trained', 'skipped', 'failed')"),
    Column("reason", "VARCHAR", description="Why a window was skipped or failed"),
    Column("train_start", "DATE"),
    Column("train_end", "DATE"),
    Column("eval_start", "DATE"),
    Column("eval_end", "DATE"),
    Column("train_rows", "INTEGER", nullable=False, description="Labelled training rows"),
    Column("eval_rows", "INTEGER", nullable=False, description="Labelled evaluation rows"),
    Column("train_positive_rate", "DOUBLE"),
    Column("eval_positive_rate", "DOUBLE"),
    Column("eval_roc_auc", "DOUBLE", description="Window AUC (detail only); NULL if undefined"),
    Column(
        "eval_roc_auc_low",
        "DOUBLE",
        description="95 % t interval over dates (teacher/metrics.hac_interval), low",
    ),
    Column(
        "eval_roc_auc_high",
        "DOUBLE",
        description="95 % t interval over dates (teacher/metrics.hac_interval), high",
    ),
    Column("eval_log_loss", "DOUBLE"),
    Column("eval_brier_skill", "DOUBLE", description="Against the training base rate"),
)
_RUN_RECORD = (
    Column("feature_importances", "VARCHAR"),
    Column("hyper_parameters", "VARCHAR", description="As CatBoost reports it used them"),
    Column("settings", "VARCHAR", description="Settings of the labels it trained on"),
    Column("data_fingerprint", "VARCHAR", description="SHA-256 of the training rows"),
    Column("model_path", "VARCHAR"),
    Column("fit_seconds", "DOUBLE"),
)

TEACHER_RUNS = Table(
    "teacher_runs",
    (
        Column("symbol", "VARCHAR", nullable=False),
        *_WINDOW_RESULTS,
        *_doubles(
            ("eval_accuracy", "eval_precision", "eval_recall", "eval_f1", "baseline_accuracy")
        ),
        *_RUN_RECORD,
    ),
    primary_key=("symbol", "window_index"),
    slices=(SYMBOL,),
    snapshot_keys=0,
)

TEACHER_UNIVERSE_RUNS = Table(
    "teacher_universe_runs",
    (
        *_WINDOW_RESULTS,
        Column("symbols", "INTEGER", description="Symbols in the window's training rows"),
        Column("eval_rank_ic_mean", "DOUBLE", description="Mean per-date rank IC of the slice"),
        Column("eval_rank_ic_dates", "INTEGER", description="Dates with a defined rank IC"),
        *_RUN_RECORD,
    ),
    primary_key=("window_index",),
)

TEACHER_PREDICTIONS = Table(
    "teacher_predictions",
    (
        Column("model", "VARCHAR", nullable=False, check="model IN ('per_symbol', 'universe')"),
        Column("window_index", "INTEGER", nullable=False),
        Column("symbol", "VARCHAR", nullable=False),
        Column("date", "DATE", nullable=False, description="Decision session (evaluation slice)"),
        Column("score", "DOUBLE", description="Out-of-sample P(up)"),
        Column("label", "TINYINT", description="NULL for a session without a decisive move"),
        Column("forward_return", "DOUBLE"),
        Column("weight", "DOUBLE"),
        Column("train_base_rate", "DOUBLE", description="Majority baseline's forecast"),
        Column("momentum", "DOUBLE", description="Past-H return: the momentum baseline's score"),
        Column("placebo", "DOUBLE", description="Model-free placebo score (seeded AR(1))"),
    ),
    primary_key=("model", "symbol", "window_index", "date"),
    slices=(Key("model", "model", "VARCHAR"), SYMBOL),
)

# The reference file data/reference/corporate_actions.csv as loaded: raw daily_bars are never
# changed; adjusted bars are computed from both at read time.
CORPORATE_ACTIONS = Table(
    "corporate_actions",
    (
        Column("symbol", "VARCHAR", nullable=False, description="Universe symbol"),
        Column(
            "ex_date",
            "DATE",
            nullable=False,
            description="First session traded without the entitlement",
        ),
        Column(
            "kind",
            "VARCHAR",
            nullable=False,
            description="split, bonus or adjustment",
            check="kind IN ('split', 'bonus', 'adjustment')",
        ),
        Column("ratio", "VARCHAR", nullable=False, description="As written in the reference file"),
        Column(
            "factor",
            "DOUBLE",
            nullable=False,
            check="factor > 0",
            description="Prices before ex_date are divided by it, volumes multiplied",
        ),
        Column("note", "VARCHAR"),
    ),
    primary_key=("symbol", "ex_date", "kind"),
)

# Which names belonged to which index when, from every dated constituent list
# (universe/membership.py); rebuilt whole from the lists, so a name that left keeps its spells.
UNIVERSE_MEMBERSHIP = Table(
    "universe_membership",
    (
        Column("index_name", "VARCHAR", nullable=False, description="Index, e.g. nifty100"),
        Column("symbol", "VARCHAR", nullable=False, description="Universe symbol (newest name)"),
        Column("member_from", "DATE", nullable=False, description="First day of the spell"),
        Column("member_to", "DATE", description="Last day of the spell; NULL while a member"),
        Column(
            "last_listed",
            "DATE",
            nullable=False,
            description="When the last list of the spell that names it took effect",
        ),
        Column("joined_in", "VARCHAR", nullable=False, description="The list(s) it joined in"),
        Column("left_in", "VARCHAR", description="The list(s) that dropped it"),
        Column("listed_as", "VARCHAR", nullable=False, description="Tickers the lists used"),
    ),
    primary_key=("index_name", "symbol", "member_from"),
)

TABLES: tuple[Table, ...] = (
    WAREHOUSE_BINDING,
    SYMBOL_MAPPING,
    DAILY_BARS,
    BAR_PARTITIONS,
    INTRADAY_BARS,
    TEACHER_LABELS,
    TEACHER_RUNS,
    TEACHER_UNIVERSE_RUNS,
    TEACHER_PREDICTIONS,
    CORPORATE_ACTIONS,
    UNIVERSE_MEMBERSHIP,
)
