"""The warehouse layer (`warehouse/`), every test once on the DuckDB file and once on a DuckLake
whose catalog is a fresh database of the session's PostgreSQL (the `warehouse` fixture here)."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from sensequant_assets.warehouse import storage
from sensequant_assets.warehouse.bar_days import read_bar_days
from sensequant_assets.warehouse.corporate_actions import (
    read_adjusted_bars,
    replace_corporate_actions,
)
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets.warehouse.tables import TABLES, TEACHER_LABELS, TEACHER_PREDICTIONS
from sensequant_assets_tests.quality.factories import bars_for, mapping_rows, store

DAYS_2023 = [dt.date(2023, 1, 2) + dt.timedelta(days=n) for n in range(5)]
DAYS_2024 = [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(4)]


def write(warehouse: WarehouseResource, bars: dict[tuple[str, int], pd.DataFrame]) -> None:
    writes = [storage.bars_partition(symbol, year) for symbol, year in bars]
    with warehouse.get_connection() as conn, storage.transaction(conn, writes):
        store(conn, bars, mapping_rows(*sorted({symbol for symbol, _ in bars})))


def test_every_table_has_its_declared_columns_and_types(warehouse: WarehouseResource) -> None:
    with warehouse.get_connection() as conn:
        for table in TABLES:
            described = conn.execute(f"DESCRIBE {table.name}").fetchall()
            declared = [(c.name, c.sql_type.split(" DEFAULT")[0]) for c in table.columns]
            assert [(name, kind) for name, kind, *_ in described] == declared, table.name
    with warehouse.get_connection() as conn:  # a second connection finds them and adds nothing
        assert conn.execute("SELECT count(*) FROM bar_partitions").fetchone() == (0,)


def test_replacing_a_partition_leaves_the_others_and_records_it(
    warehouse: WarehouseResource,
) -> None:
    write(
        warehouse,
        {
            ("AAA", 2023): bars_for("AAA", DAYS_2023),
            ("AAA", 2024): bars_for("AAA", DAYS_2024),
            ("BBB", 2023): bars_for("BBB", DAYS_2023),
        },
    )
    corrected = bars_for("AAA", DAYS_2023[:3], close=50.0)
    aaa = [storage.bars_partition("AAA", 2023)]
    with warehouse.get_connection() as conn, storage.transaction(conn, aaa):
        storage.replace_bars(conn, "AAA", 2023, corrected)
    with warehouse.get_connection() as conn:
        aaa_2023 = storage.read_bars(conn, ["AAA"], [2023])
        assert aaa_2023["close"].tolist() == [50.0] * 3
        assert len(storage.read_bars(conn, ["AAA", "BBB"])) == 3 + 4 + 5
        # The years asked, not the span between them; no symbol asked, no row.
        assert set(storage.read_bars(conn, ["AAA"], [2022, 2024])["date"].dt.year) == {2024}
        assert storage.read_bars(conn, []).empty and storage.read_bars(conn, ["AAA"], []).empty
        assert storage.stored_years(conn, ["AAA", "BBB", "CCC"]) == {
            "AAA": [2023, 2024],
            "BBB": [2023],
            "CCC": [],
        }
        partitions = conn.execute(
            "SELECT symbol, year, rows FROM bar_partitions ORDER BY ALL"
        ).fetchall()
        assert partitions == [("AAA", 2023, 3), ("AAA", 2024, 4), ("BBB", 2023, 5)]
        stored = storage.stored_bar_dates(conn, [("AAA", 2023), ("BBB", 2023), ("CCC", 2023)])
        assert stored == {
            ("AAA", 2023): set(DAYS_2023[:3]),
            ("BBB", 2023): set(DAYS_2023),
            ("CCC", 2023): set(),
        }
        assert storage.latest_bar_dates(conn) == {"AAA": DAYS_2024[-1], "BBB": DAYS_2023[-1]}
        days = read_bar_days(conn, [2023])
        assert days.symbols_on[DAYS_2023[0]] == 2 and days.symbols_on[DAYS_2023[4]] == 1
        assert sorted(days.spans) == [
            (DAYS_2023[0], DAYS_2023[2]),
            (DAYS_2023[0], DAYS_2023[4]),
        ]


def test_a_failure_inside_the_transaction_rolls_back_every_statement(
    warehouse: WarehouseResource,
) -> None:
    write(warehouse, {("AAA", 2023): bars_for("AAA", DAYS_2023)})
    with (
        pytest.raises(RuntimeError, match="half-way"),
        warehouse.get_connection() as conn,
        storage.transaction(conn, [storage.bars_partition(s, 2023) for s in ("AAA", "BBB")]),
    ):
        storage.replace_bars(conn, "AAA", 2023, bars_for("AAA", DAYS_2023[:1], close=1.0))
        storage.replace_bars(conn, "BBB", 2023, bars_for("BBB", DAYS_2023))
        raise RuntimeError("failed half-way")
    with warehouse.get_connection() as conn:
        bars = storage.read_bars(conn, ["AAA", "BBB"])
        assert len(bars) == 5 and set(bars["close"]) == {100.0}
        assert storage.stored_years(conn, ["AAA", "BBB"]) == {"AAA": [2023], "BBB": []}


def test_insert_failure_rolls_back_the_delete(warehouse: WarehouseResource) -> None:
    good = bars_for("X", DAYS_2023[:1])
    with warehouse.get_connection() as conn:
        x = [storage.bars_partition("X", 2023)]
        with storage.transaction(conn, x):
            storage.replace_bars(conn, "X", 2023, good)
        bad = good.assign(volume=[None])  # violates NOT NULL inside the INSERT, after the DELETE
        with pytest.raises(duckdb.ConstraintException), storage.transaction(conn, x):
            storage.replace_bars(conn, "X", 2023, bad)
        assert conn.execute("SELECT count(*) FROM daily_bars").fetchone()[0] == 1


def test_the_first_origin_binds_the_warehouse(warehouse: WarehouseResource) -> None:
    with warehouse.get_connection() as conn, storage.transaction(conn):
        storage.bind_origin(conn, "market", warehouse.location)
    with warehouse.get_connection() as conn, storage.transaction(conn):
        storage.bind_origin(conn, "market", warehouse.location)  # the same origin again: fine
    with (
        pytest.raises(storage.SourceMismatchError) as refused,
        warehouse.get_connection() as conn,
        storage.transaction(conn),
    ):
        storage.bind_origin(conn, "synthetic", warehouse.location)
    assert f"The warehouse {warehouse.location} holds market data" in str(refused.value)
    with warehouse.get_connection() as conn:
        assert conn.execute("SELECT origin FROM warehouse_binding").fetchall() == [("market",)]


def test_labels_and_predictions_read_back_as_written(warehouse: WarehouseResource) -> None:
    features = ["ret_1", "ret_5"]
    labels = pd.DataFrame(
        {
            "symbol": "AAA",
            "window_index": 0,
            "split": ["train", "eval"],
            "date": pd.to_datetime(["2023-01-02", "2023-01-03"]),
            "ret_1": [0.01, -0.02],
            "ret_5": [0.03, 0.04],
            "entry_at": "open",
            "exit_date": pd.to_datetime(["2023-01-10", None]),
            "past_return": [0.1, 0.2],
            "threshold": 0.01,
            "forward_return": [0.05, None],
            "label": pd.array([1, None], dtype="Int8"),
            "weight": [1.0, 0.5],
            "settings": "{}",
        }
    )
    predictions = pd.DataFrame(
        {
            "model": "per_symbol",
            "window_index": 0,
            "symbol": "AAA",
            "date": pd.to_datetime(["2023-01-03"]),
            "score": [0.7],
            "label": pd.array([None], dtype="Int8"),
            "forward_return": [None],
            "weight": [0.5],
            "train_base_rate": [0.5],
            "momentum": [0.2],
            "placebo": [0.1],
        }
    )
    packed = TEACHER_LABELS.select(storage.pack_features(labels, features))
    with warehouse.get_connection() as conn, storage.transaction(conn):
        storage.replace_rows(conn, TEACHER_LABELS.name, "symbol = ?", ["AAA"], packed)
        storage.replace_rows(
            conn, TEACHER_PREDICTIONS.name, "TRUE", [], TEACHER_PREDICTIONS.select(predictions)
        )
        storage.replace_rows(conn, "symbol_mapping", "TRUE", [], mapping_rows("AAA", "BBB"))
    with warehouse.get_connection() as conn:
        read = storage.unpack_features(storage.read_labels(conn, ["AAA"]), features)
        for column in ("date", "exit_date"):  # the engine's unit (us) against pandas' (ns)
            read[column] = read[column].astype(labels[column].dtype)
        pd.testing.assert_frame_equal(
            read[labels.columns].reset_index(drop=True), labels, check_dtype=False
        )
        scored = storage.read_predictions(conn, "per_symbol", ["AAA"])
        assert scored["score"].tolist() == [0.7] and scored["label"].isna().all()
        assert storage.read_predictions(conn, "universe").empty
        assert storage.read_mappings(conn)["symbol"].tolist() == ["AAA", "BBB"]


def test_adjusted_reads_apply_the_stored_corporate_actions(warehouse: WarehouseResource) -> None:
    write(warehouse, {("TATA", 2023): bars_for("TATA", DAYS_2023, close=1000.0)})
    actions = pd.DataFrame(
        {
            "symbol": ["TATA"],
            "ex_date": pd.to_datetime(["2024-01-01"]),
            "kind": ["split"],
            "ratio": ["10:1"],
            "factor": [10.0],
            "note": [None],
        }
    )
    with warehouse.get_connection() as conn, storage.transaction(conn):
        replace_corporate_actions(conn, actions)
        replace_corporate_actions(conn, actions)  # the whole file again: replaced, not added
    with warehouse.get_connection() as conn:
        adjusted = read_adjusted_bars(conn, ["TATA"])
        assert set(adjusted["close"]) == {100.0} and set(adjusted["volume"]) == {10_000}
        assert conn.execute("SELECT count(*) FROM corporate_actions").fetchone() == (1,)
