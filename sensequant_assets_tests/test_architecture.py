"""The layering docs/architecture.md promises, checked on the source: no module imports a layer
above its own, and Dagster's private API is imported in one fenced module only."""

import ast
from pathlib import Path

import pytest

from sensequant_assets.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "sensequant_assets"
FENCED = PACKAGE / "dagster_internals.py"

# Lowest first. A module may import its own layer and the layers below it, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("market", "paths", "secrets", "settings", "alerts", "profiles"),
    ("warehouse",),
    ("universe",),
    ("sources",),
    ("quality",),
    ("teacher",),
    ("dagster_internals",),
    ("defs",),
    ("definitions", "demo", "cli"),
)


def layer_of(module: str) -> int:
    """The layer of `sensequant_assets.<top>...` by its first component."""
    top = module.split(".")[1]
    for rank, names in enumerate(LAYERS):
        if top in names:
            return rank
    raise AssertionError(f"sensequant_assets.{top} is in no layer; add it to LAYERS and the docs")


def product_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("path", product_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path: Path) -> None:
    own = layer_of(module_name(path))
    above = sorted(
        name
        for name in imported_modules(path)
        if name.startswith("sensequant_assets.") and layer_of(name) > own
    )
    assert not above, f"{module_name(path)} imports {above} from a layer above its own"


def test_private_dagster_api_only_in_the_fenced_module() -> None:
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for path in product_modules()
        if path != FENCED and any(name.startswith("dagster._") for name in imported_modules(path))
    ]
    assert offenders == []


def test_dagster_objects_are_defined_only_under_defs() -> None:
    """Assets, checks, sensors, schedules and jobs live in defs/<domain>/, nowhere else."""
    decorators = {"asset", "multi_asset", "asset_check", "multi_asset_check", "sensor", "schedule"}
    offenders = []
    for path in product_modules():
        if "defs" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in decorators | {"define_asset_job"}:
                offenders.append(f"{path.relative_to(REPO_ROOT)}: dg.{node.attr}")
    assert offenders == []


SOURCE_NEUTRAL = ("base.py", "budget.py", "intraday_batch.py")


@pytest.mark.parametrize("module", SOURCE_NEUTRAL)
def test_source_neutral_modules_import_no_breeze_module(module: str) -> None:
    """The base of every source, its budget type and the intraday batch know no particular
    source: no import of `sources.breeze`, a type-only one (TYPE_CHECKING) included."""
    breeze = sorted(
        name
        for name in imported_modules(PACKAGE / "sources" / module)
        if name.startswith("sensequant_assets.sources.breeze")
    )
    assert breeze == [], f"sources/{module} imports {breeze}"


TESTS = REPO_ROOT / "sensequant_assets_tests"
BENCHMARKS = REPO_ROOT / "benchmarks"
TESTS_FENCED = TESTS / "support" / "dagster_internals.py"


def import_targets(path: Path) -> set[str]:
    """Every module `path` may import, relative imports ('.conftest') and the names of
    `from package import module` ('sensequant_assets_tests.conftest') included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            names.add(module)
            names.update(f"{module.rstrip('.')}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_private_dagster_api_in_tests_and_benchmarks_only_in_their_fenced_module() -> None:
    """Tests and benchmarks reach `dagster._` through `support/dagster_internals.py` only, which
    test_dagster_internals.py pins, as the product does through its own fenced module."""
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for path in sorted([*TESTS.rglob("*.py"), *BENCHMARKS.rglob("*.py")])
        if path != TESTS_FENCED
        and any(name.startswith("dagster._") for name in imported_modules(path))
    ]
    assert offenders == []


def test_benchmarks_import_no_test_module_or_conftest() -> None:
    """What a benchmark shares with the tests lives in `sensequant_assets_tests/support/`: a
    benchmark never imports a `test_*` module, a `conftest.py`, or another test folder."""
    offenders = sorted(
        f"{path.relative_to(REPO_ROOT)}: {name}"
        for path in BENCHMARKS.rglob("*.py")
        for name in import_targets(path)
        if name.rsplit(".", 1)[-1].startswith("test_")
        or name.rsplit(".", 1)[-1] == "conftest"
        or (
            name.startswith("sensequant_assets_tests.")
            and not name.startswith("sensequant_assets_tests.support")
        )
    )
    assert offenders == []
