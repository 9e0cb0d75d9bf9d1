"""The layering docs/architecture.md promises, checked on the source: no module imports a layer
above its own, Dagster's private API is imported in one fenced module only, and under defs/ each
domain stands alone (no domain imports another; the shared modules join them) and defines
Dagster objects only (plain helpers live in the library layers)."""

import ast
import importlib
import importlib.util
import inspect
import types
import typing
from pathlib import Path

import dagster as dg
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


# defs/: domains that stand alone, Dagster objects only -----------------------------------------

DEFS = PACKAGE / "defs"
SHARED = ("keys", "batches", "cutoffs", "partitions", "resources", "owners")
"""The modules directly in defs/ that every domain may import; they import no domain."""

# Plain helpers the rule below lets stand, each for its reason.
EXEMPT = {
    "sensequant_assets.defs.owners.ownership": "the keyword arguments every @dg.asset spreads",
    "sensequant_assets.defs.resources.automation_on": "whether the automation binding is on",
}


def imported_names(path: Path, root: Path = REPO_ROOT) -> set[str]:
    """Every module or name a file imports, fully qualified: `from a.b import c` gives `a.b.c`
    (so `from sensequant_assets.defs import ingestion` names the domain), relative imports
    resolved against the file's own package."""
    package = list(path.relative_to(root).parent.parts)
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            names.update(f"{module}.{alias.name}" for alias in node.names)
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


def cross_domain_imports(path: Path, defs_root: Path = DEFS) -> list[str]:
    """What a module under defs/ imports from defs/ that it may not: from a domain folder, any
    other domain; from a shared module, any domain at all. The shared modules are the only
    way between domains."""
    parts = path.relative_to(defs_root).parts
    own = parts[0] if len(parts) > 1 else None
    offenders = []
    for name in sorted(imported_names(path, defs_root.parent.parent)):
        dotted = name.split(".")
        if dotted[:2] != ["sensequant_assets", "defs"] or len(dotted) < 3:
            continue
        if dotted[2] not in SHARED and dotted[2] != own:
            offenders.append(name)
    return offenders


def defs_modules() -> list[Path]:
    return [path for path in product_modules() if DEFS in path.parents]


@pytest.mark.parametrize("path", defs_modules(), ids=lambda p: str(p.relative_to(DEFS)))
def test_no_defs_domain_imports_another(path: Path) -> None:
    offenders = cross_domain_imports(path)
    assert not offenders, (
        f"{module_name(path)} imports {offenders}: a defs/<domain> stands alone; name the other "
        "domain's asset by its key in defs/keys.py, or move what both need to a shared module "
        f"({', '.join(f'defs/{name}.py' for name in SHARED)})"
    )


def names_dagster(annotation: object, subclasses: bool = True) -> bool:
    """Whether a type annotation names a Dagster type anywhere in it (alone or inside a union, a
    container, an iterator or `type[...]`): a class from the `dagster` package, or with
    `subclasses` one deriving from such a class (our resources and configs)."""
    if isinstance(annotation, type):
        classes = annotation.__mro__ if subclasses else (annotation,)
        if any(cls.__module__.split(".")[0] == "dagster" for cls in classes):
            return True
    return any(names_dagster(arg, subclasses) for arg in typing.get_args(annotation))


def plain_helpers(module: types.ModuleType) -> list[str]:
    """The rule for defs/: a module there defines Dagster objects only. Decorated definitions
    (@dg.asset, @dg.sensor, ...) are Dagster objects, not functions, and pass; so does a class
    deriving from a Dagster class (a `dg.Config`). A function defined at module level passes
    only as a factory or an adapter: its return annotation names a Dagster type (a schedule, a
    Failure, run requests, observations, one of our resources), or a parameter's names one of
    Dagster's own types (a context, the instance, step-failure events), which it reads. Anything
    else, a plain class or a function whose signature is plain values (or only our resources),
    is a helper with a rule in it: it belongs in a library layer, tested without Dagster.
    Returns the names of those helpers."""
    found = []
    for name, value in vars(module).items():
        if getattr(value, "__module__", None) != module.__name__:
            continue  # imported, or a Dagster definition object
        if inspect.isfunction(value):
            hints = typing.get_type_hints(value)
            makes = names_dagster(hints.pop("return", None))
            reads = any(names_dagster(hint, subclasses=False) for hint in hints.values())
            if not (makes or reads):
                found.append(name)
        elif inspect.isclass(value) and not names_dagster(value):
            found.append(name)
    return sorted(found)


@pytest.mark.parametrize("path", defs_modules(), ids=lambda p: str(p.relative_to(DEFS)))
def test_defs_modules_hold_dagster_objects_only(path: Path) -> None:
    name = module_name(path)
    module = importlib.import_module(name)
    helpers = [h for h in plain_helpers(module) if f"{name}.{h}" not in EXEMPT]
    assert not helpers, (
        f"{name} defines plain helpers {helpers}: move each to the library layer its rule "
        "belongs to (a function taking and returning plain values, tested without Dagster), "
        "and call it from the Dagster definition"
    )


def declared_keys(path: Path) -> set[str]:
    """The asset keys a file declares with a literal: `dg.AssetKey("daily_bars")`."""
    return {
        node.args[0].value
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "AssetKey"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def test_each_asset_key_is_declared_once_in_defs_keys() -> None:
    offenders = {}
    for path in product_modules():
        where = str(path.relative_to(PACKAGE))
        if path == DEFS / "keys.py":
            continue
        if keys := declared_keys(path):
            offenders[where] = sorted(keys)
    assert offenders == {}, "declare asset keys in defs/keys.py and import them from there"


def test_keys_name_the_code_locations_assets() -> None:
    from sensequant_assets.definitions import defs
    from sensequant_assets.defs import keys

    declared = {value for value in vars(keys).values() if isinstance(value, dg.AssetKey)}
    assets = set(defs().resolve_asset_graph().get_all_asset_keys())
    assert declared - assets == set()


# The checks themselves, shown rejecting what they exist to reject ------------------------------


def test_a_planted_cross_domain_import_is_rejected(tmp_path: Path) -> None:
    defs_root = tmp_path / "sensequant_assets" / "defs"
    planted = defs_root / "intraday" / "planted.py"
    planted.parent.mkdir(parents=True)
    planted.write_text(
        "from sensequant_assets.defs.ingestion.assets import daily_bars\n"
        "from sensequant_assets.defs import teacher\n"
        "from sensequant_assets.defs.keys import DAILY_BARS\n"
        "from sensequant_assets.defs.intraday.jobs import intraday_checks_job\n"
        "from ..partitions import symbols_partitions\n"
        "from ..quality import checks\n",
        encoding="utf-8",
    )
    shared = defs_root / "keys.py"
    shared.write_text("from sensequant_assets.defs.teacher.assets import teacher_model\n")

    assert cross_domain_imports(planted, defs_root) == [
        "sensequant_assets.defs.ingestion.assets.daily_bars",
        "sensequant_assets.defs.quality.checks",
        "sensequant_assets.defs.teacher",
    ]
    assert cross_domain_imports(shared, defs_root) == [
        "sensequant_assets.defs.teacher.assets.teacher_model"
    ]


def test_a_planted_plain_helper_is_rejected(tmp_path: Path) -> None:
    planted = tmp_path / "planted_defs_module.py"
    planted.write_text(
        """
from typing import NamedTuple

import dagster as dg


class Row(NamedTuple):
    symbol: str


class PlantedConfig(dg.Config):
    allow_shrink: bool = False


def describe(count: int) -> str:
    return f"{count} partition(s)"


def failure(description: str) -> dg.Failure:
    return dg.Failure(description=describe(1) + description)


def written(events: list[dg.DagsterEvent]) -> list[str]:
    return [str(event.step_key) for event in events]


def too_short(settings: PlantedConfig, rows: int) -> bool:
    return rows < 10


@dg.asset
def planted_asset() -> None:
    describe(0)
""",
        encoding="utf-8",
    )
    spec = importlib.util.spec_from_file_location("planted_defs_module", planted)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    assert plain_helpers(module) == ["Row", "describe", "too_short"]
