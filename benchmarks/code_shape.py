"""The shape of the code, measured the same way before and after a refactor (issue 22).

Prints, for `sensequant_assets/`: lines per module (median, p90, max) for the whole package and
for `defs/`; lines per Dagster definition body (every function decorated with `@dg.<something>`
under `defs/`, decorator to last line, and its code alone after signature and docstring; median,
p90, max and the longest); the plain helpers defined at module level in `defs/` (functions that
are not Dagster definitions) per module; the imports between `defs/<domain>` folders (edge
list); and the summary line of `duplicates` run on the package. Run from the repository root:
`python benchmarks/code_shape.py`.
"""

import ast
import shutil
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sensequant_assets"
DEFS = PACKAGE / "defs"


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def spread(values: list[int]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"n={len(ordered)} median={statistics.median(ordered):g} p90={p90} max={ordered[-1]}"


def is_dagster_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and (target.value.id == "dg")
    )


def code_start(node: ast.FunctionDef) -> int:
    """The first line of a function's code: after its signature and docstring."""
    first = node.body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    return node.body[1].lineno if docstring and len(node.body) > 1 else first.lineno


def domain_of(path: Path) -> str | None:
    parts = path.relative_to(DEFS).parts
    return parts[0] if len(parts) > 1 else None


def main() -> None:
    modules = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")
    defs_modules = [p for p in modules if DEFS in p.parents]
    print(f"modules, lines: {spread([lines(p) for p in modules])}")
    print(f"defs modules, lines: {spread([lines(p) for p in defs_modules])}")
    bodies: list[tuple[int, int, str]] = []
    helpers: Counter[str] = Counter()
    edges: set[tuple[str, str]] = set()
    for path in defs_modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        name = str(path.relative_to(PACKAGE))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                if any(is_dagster_decorator(d) for d in node.decorator_list):
                    start = min(d.lineno for d in node.decorator_list)
                    code = node.end_lineno - code_start(node) + 1
                    bodies.append((node.end_lineno - start + 1, code, f"{name}::{node.name}"))
                else:
                    helpers[name] += 1
        own = domain_of(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                between = parts[:2] == ["sensequant_assets", "defs"] and len(parts) > 3
                if between and own is not None and parts[2] != own:
                    edges.add((own, parts[2]))
    print(f"Dagster definition bodies, lines: {spread([n for n, _, _ in bodies])}")
    print(f"  the same, code alone: {spread([n for _, n, _ in bodies])}")
    for size, code, where in sorted(bodies, reverse=True)[:10]:
        print(f"  {size:4d} ({code:3d} code) {where}")
    print(
        f"defs modules with plain module-level helpers: {len(helpers)} of {len(defs_modules)}, "
        f"{sum(helpers.values())} helpers"
    )
    for name, count in sorted(helpers.items()):
        print(f"  {count:3d} {name}")
    print(f"defs/<domain> -> defs/<domain> import edges: {len(edges)}")
    for source, target in sorted(edges):
        print(f"  {source} -> {target}")
    tool = shutil.which("duplicates")
    if tool is None:
        print("duplicates: not on PATH", file=sys.stderr)
        return
    answer = subprocess.run(
        [tool, "--repo", str(PACKAGE), "--most", "200", "--seconds", "120"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    defs_rows = [row for row in answer if "defs/" in row]
    print(f"duplicates (sensequant_assets/): {answer[0] if answer else '(no answer)'}")
    print(f"  rows naming a defs/ module: {len(defs_rows)}")
    for row in defs_rows:
        print(f"  {row}")


if __name__ == "__main__":
    main()
