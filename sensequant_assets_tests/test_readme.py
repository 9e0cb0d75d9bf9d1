"""The README is true to the code: every path it names exists (or is output the code writes, which
git ignores), every module it names imports, every `make` target it names is one, and every
command it shows answers `--help` with each option the README gives it. The same holds for
docs/data.md, where the README sends a reader for the data's rules and Breeze's settings (its
commands, `allow_shrink` among them, are pasted as the README's are).

Commands are read from the README's shell blocks and from backticked commands in its text; each
runs as `TOOL SUBCOMMAND... --help` from outside make (no DAGSTER_HOME, no make variables).
`sensequant` runs as `python -m sensequant_assets.cli`, this checkout's code, whatever entry
point the environment installed; the other tools from the running interpreter's own bin folder.
"""

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from sensequant_assets.paths import REPO_ROOT

README = "\n".join((REPO_ROOT / page).read_text() for page in ("README.md", "docs/data.md"))
TOOLS = {"sensequant", "dagster", "dg"}
BIN = Path(sys.executable).parent
# Named relative to another folder, not the repository root.
RELATIVE_TO_ANOTHER_ROOT = {"_universe/": "inside SENSEQUANT_MODELS_DIR (data/models/)"}


def backticked() -> list[str]:
    return re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", README, flags=re.S))


def shell_lines() -> list[str]:
    """The README's shell blocks, continuation lines joined, comments dropped."""
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        joined = block.replace("\\\n", " ")
        lines += [line.split(" # ")[0].strip() for line in joined.splitlines() if line.strip()]
    return lines


def commands() -> list[list[str]]:
    """Each README command as words, without the `.venv/bin/` prefix or leading VAR=value."""
    found = []
    for text in [*shell_lines(), *backticked()]:
        try:
            words = shlex.split(text)
        except ValueError:
            continue
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            words = words[1:]
        if not words:
            continue
        tool = words[0].removeprefix(".venv/bin/")
        if tool in TOOLS or tool == "make":
            found.append([tool, *words[1:]])
    return found


def paths() -> list[str]:
    """Backticked tokens that name a file or folder of the repository."""
    candidates = []
    for token in backticked():
        if re.search(r"[\s<>{}*()=\"']|://", token) or token.startswith((".venv/", "-")):
            continue
        if "/" in token or re.fullmatch(
            r"[\w.-]+\.(yaml|md|txt|csv|py|toml|lock|log|duckdb)", token
        ):
            candidates.append(token)
    return candidates


def ignored_by_git(path: str) -> bool:
    return subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO_ROOT).returncode == 0


def test_the_readme_names_paths_and_commands_to_check() -> None:
    """A guard on the parsers: the README's main paths and commands are found."""
    assert {"data/constituents/demo.txt", "docs/deploy.md", "dagster.yaml"} <= set(paths())
    tools = {tuple(words[:2]) for words in commands()}
    assert {
        ("make", "demo"),
        ("sensequant", "backfill"),
        ("dagster", "asset"),
        ("dg", "list"),
    } <= tools


@pytest.mark.parametrize("path", sorted(set(paths())))
def test_every_path_the_readme_names_exists_or_is_ignored_output(path: str) -> None:
    if path in RELATIVE_TO_ANOTHER_ROOT:
        return
    exists = (REPO_ROOT / path).exists()
    assert exists or ignored_by_git(path), (
        f"README names {path!r}: neither in the repository nor output that git ignores"
    )


def test_every_module_the_readme_names_imports() -> None:
    modules = [t for t in backticked() if re.fullmatch(r"sensequant_assets(\.\w+)+", t)]
    assert modules
    for module in modules:
        assert importlib.util.find_spec(module), module


def make_targets() -> set[str]:
    text = (REPO_ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", text, flags=re.M))


def test_every_make_target_the_readme_names_exists() -> None:
    named = {words[1] for words in commands() if words[0] == "make" and len(words) > 1}
    assert named and named <= make_targets(), named - make_targets()


def help_command(words: list[str]) -> tuple[list[str], list[str]]:
    """`TOOL SUBCOMMAND... --help` for a README command, and the options the README passes."""
    subcommands = []
    for word in words[1:]:
        if word.startswith("-") or re.search(r"[/.<|{]", word) or word.isupper():
            break
        subcommands.append(word)
    options = [w.split("=")[0] for w in words if w.startswith("--")]
    if words[0] == "sensequant":
        base = [sys.executable, "-m", "sensequant_assets.cli"]
    else:
        base = [str(BIN / words[0])]
    return [*base, *subcommands, "--help"], options


@pytest.mark.parametrize(
    "words",
    sorted({tuple(w) for w in commands() if w[0] in TOOLS}),
    ids=lambda words: " ".join(words[:3]),
)
def test_every_command_the_readme_shows_answers_help_with_its_options(words: tuple) -> None:
    command, options = help_command(list(words))
    environ = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=environ, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{' '.join(command)}: {result.stderr[-2000:]}"
    for option in options:
        assert option in result.stdout, f"{' '.join(words)}: {option} is not an option of it"
