"""Frames entering the warehouse are checked by dagster-pandas' column declarations, derived
from the one table declaration, and the UI's column schema shows the same constraints."""

import numpy as np
import pandas as pd
from dagster_pandas.constraints import MinValueColumnConstraint, NonNullableColumnConstraint

from sensequant_assets.warehouse.tables import (
    DAILY_BARS,
    INTRADAY_BARS,
    column_violations,
    frame_column,
)


def bars(**overrides: list) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "symbol": ["TCS", "TCS", "TCS"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "open": [10.0, 11.0, 12.0],
            "high": [10.5, 11.5, 12.5],
            "low": [9.5, 10.5, 11.5],
            "close": [10.2, 11.2, 12.2],
            "volume": np.array([100, 200, 300], dtype="int64"),
            "source": ["csv"] * 3,
        }
    )
    return frame.assign(**overrides)


def test_clean_frame_has_no_problem() -> None:
    assert DAILY_BARS.value_problems(bars()) == {}


def test_each_column_is_a_dagster_pandas_column_of_its_table() -> None:
    open_ = DAILY_BARS.columns[2].pandas_column()
    kinds = [type(c) for c in open_.constraints]
    assert kinds[0] is NonNullableColumnConstraint and kinds[-1] is MinValueColumnConstraint
    assert [c.pandas_column().name for c in INTRADAY_BARS.columns] == list(
        INTRADAY_BARS.column_names
    )


def test_a_column_of_the_wrong_kind_is_refused_by_its_dtype() -> None:
    """Prices that arrive as text were coerced before, silently; now the frame is refused."""
    problems = DAILY_BARS.value_problems(bars(open=["10", "11", "12"]))
    assert list(problems) == ["open does not hold DOUBLE values (ColumnDTypeFnConstraint)"]
    assert problems["open does not hold DOUBLE values (ColumnDTypeFnConstraint)"].all()


def test_missing_and_below_minimum_name_their_rows() -> None:
    problems = DAILY_BARS.value_problems(bars(close=[10.0, np.nan, 12.0], volume=[1, -5, 3]))
    assert problems["close is missing (NaN)"].tolist() == [False, True, False]
    assert problems["volume is negative"].tolist() == [False, True, False]


def test_the_key_over_two_columns_stays_hand_written() -> None:
    frame = bars(date=pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-03"]))
    assert DAILY_BARS.value_problems(frame)["duplicate symbol and date"].tolist() == [
        False,
        True,
        False,
    ]


def test_violations_come_back_as_rows_of_the_frame_whatever_its_index() -> None:
    """dagster-pandas names offending rows by index label; a frame stitched from several
    answers repeats labels, and the mask must still point at the right rows."""
    frame = pd.DataFrame({"x": [1.0, np.nan, 3.0, np.nan]}, index=[0, 0, 1, 1])
    column = frame_column("x", [NonNullableColumnConstraint()])
    [(key, mask)] = column_violations(frame, [column]).items()
    assert key == ("x", "NonNullableColumnConstraint")
    assert mask.tolist() == [False, True, False, True] and list(mask.index) == [0, 0, 1, 1]


def test_the_ui_column_schema_shows_the_checked_constraints() -> None:
    schema = DAILY_BARS.table_schema()
    by_name = {column.name: column for column in schema.columns}
    assert by_name["open"].constraints.other == [
        'Dtype must satisfy "is_float_dtype"',
        "values >= 0.01",
    ]
    assert by_name["volume"].constraints.other[-1] == "values >= 0"
    assert not by_name["open"].constraints.nullable
    assert schema.constraints is not None
    assert schema.constraints.other == ["unique (symbol, date)"]


def test_every_table_declares_its_columns_for_dagster_pandas() -> None:
    """Every SQL type a table uses has its dtype family, so every asset's column schema builds."""
    from sensequant_assets.warehouse import tables

    declared = [v for v in vars(tables).values() if isinstance(v, tables.Table)]
    assert len(declared) >= 9
    for table in declared:
        assert len(table.table_schema().columns) == len(table.columns)
