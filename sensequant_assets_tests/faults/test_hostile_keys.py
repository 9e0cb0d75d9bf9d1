"""Hostile partition keys through Dagster: a key the UI or GraphQL accepted (`..`, `/abs`, 300
characters, full-width look-alikes) fails its run before anything is read, written or deleted.

Before keys were validated, materializing `teacher_model` for the key `..` joined it onto the
models folder and removed every symbol's models, the constituent lists and the warehouse file.
"""

import hashlib
from pathlib import Path

import dagster as dg
import pytest

from sensequant_assets.defs.ingestion.assets import daily_bars, symbol_mapping
from sensequant_assets.defs.intraday.assets import intraday_bars
from sensequant_assets.defs.teacher.assets import teacher_labels, teacher_model
from sensequant_assets.paths import ProjectPaths
from sensequant_assets.sources.intraday_batch import IntradaySettings
from sensequant_assets.warehouse.resources import WarehouseResource
from sensequant_assets_tests.conftest import synthetic_at_fixed_now
from sensequant_assets_tests.defs.teacher.test_assets import (
    DAILY_BARS,
    SETTINGS,
    SYMBOLS,
    seed_bars,
)

HOSTILE_KEYS = ["..", ".", "/abs", "a/../../b", "X" * 300, "ＡＡＡ", "AAA\n", "aaa"]


def listing(root: Path) -> dict[str, str]:
    """Every entry below `root`, byte for byte: a file by its content's hash, a link by its
    target, a folder by its name."""
    entries = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_symlink():
            entries[name] = f"link -> {path.readlink()}"
        elif path.is_file():
            entries[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            entries[name] = "<dir>"
    return entries


@pytest.fixture
def populated(tmp_path: Path, paths: ProjectPaths, warehouse: WarehouseResource) -> Path:
    """A deployment with bars, a list, and every symbol's model folder on disk."""
    seed_bars(warehouse)
    paths.constituents.mkdir(parents=True)
    (paths.constituents / "nifty.txt").write_text("\n".join(SYMBOLS) + "\n")
    for symbol in SYMBOLS:
        (paths.models / symbol / "run-1").mkdir(parents=True)
        (paths.models / symbol / "run-1" / "w00.cbm").write_bytes(symbol.encode())
    return tmp_path


def failure_text(result: dg.ExecuteInProcessResult, node: str) -> str:
    assert not result.success
    failure = result.failure_data_for_node(node)
    assert failure is not None
    texts, error = [], failure.error
    while error is not None:  # the step's error, then what raised it
        texts.append(error.message)
        error = error.cause
    return "\n".join(texts)


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_teacher_model_refuses_a_hostile_key_and_deletes_nothing(
    populated: Path,
    paths: ProjectPaths,
    warehouse: WarehouseResource,
    instance: dg.DagsterInstance,
    key: str,
) -> None:
    instance.add_dynamic_partitions("symbols", [*SYMBOLS, key])
    before = listing(populated)
    result = dg.materialize(
        [DAILY_BARS, teacher_labels, teacher_model],
        selection=[teacher_model],
        partition_key=key,
        instance=instance,
        resources={"warehouse": warehouse, "teacher": SETTINGS, "paths": paths},
        raise_on_error=False,
    )
    text = failure_text(result, "teacher_model")
    assert repr(key) in text and "Nothing was read, written or deleted" in text
    assert listing(populated) == before


@pytest.mark.parametrize("key", ["..", "/abs", "ＡＡＡ"])
def test_daily_bars_refuses_a_hostile_key_and_writes_nothing(
    populated: Path,
    paths: ProjectPaths,
    warehouse: WarehouseResource,
    instance: dg.DagsterInstance,
    key: str,
) -> None:
    instance.add_dynamic_partitions("symbols", [*SYMBOLS, key])
    before = listing(populated)
    result = dg.materialize(
        [symbol_mapping, daily_bars],
        selection=[daily_bars],
        partition_key=f"{key}|2024",
        instance=instance,
        resources={"warehouse": warehouse, "bar_source": synthetic_at_fixed_now(), "paths": paths},
        raise_on_error=False,
    )
    assert repr(f"{key}|2024") in failure_text(result, "daily_bars")
    assert listing(populated) == before


@pytest.mark.parametrize(
    ("assets", "node", "key"),
    [
        ([symbol_mapping], "symbol_mapping", ".."),
        ([DAILY_BARS, teacher_labels], "teacher_labels", ".."),
        ([symbol_mapping, intraday_bars], "intraday_bars", "2024-03|.."),
    ],
)
def test_every_other_partitioned_asset_refuses_a_hostile_key(
    populated: Path,
    paths: ProjectPaths,
    warehouse: WarehouseResource,
    instance: dg.DagsterInstance,
    assets: list,
    node: str,
    key: str,
) -> None:
    instance.add_dynamic_partitions("symbols", [*SYMBOLS, ".."])
    before = listing(populated)
    result = dg.materialize(
        assets,
        selection=[node],
        partition_key=key,
        instance=instance,
        resources={
            "warehouse": warehouse,
            "bar_source": synthetic_at_fixed_now(),
            "paths": paths,
            "teacher": SETTINGS,
            "intraday": IntradaySettings(),
        },
        raise_on_error=False,
    )
    assert repr(key) in failure_text(result, node)
    assert listing(populated) == before
