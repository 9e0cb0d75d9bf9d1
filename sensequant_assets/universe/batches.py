"""What one look at the constituent-list folder finds: changed lists, new symbols, problems.

The cursor maps each list file name to the SHA-256 of its bytes, so it survives restarts and
unchanged files cost one hash per tick.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sensequant_assets.universe.constituents import (
    ConstituentListError,
    list_files,
    read_constituent_file,
)


@dataclass(frozen=True)
class Batch:
    """A new or changed list: its name (the file stem) and the symbols it makes new partitions."""

    name: str
    new_symbols: tuple[str, ...]


@dataclass
class TickPlan:
    cursor: dict[str, str]
    batches: list[Batch] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def new_symbols(self) -> list[str]:
        return [symbol for batch in self.batches for symbol in batch.new_symbols]


def parse_cursor(cursor: str | None) -> dict[str, str]:
    """The stored {file name: sha256}; an unreadable cursor is an error, never a silent reset."""
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"constituent_lists_sensor cursor is not JSON ({exc}); reset it in the UI "
            "(sensor page, 'Set cursor value') to {} to re-read every list."
        ) from exc
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError("constituent_lists_sensor cursor must be a JSON object of file -> hash")
    return value


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plan_tick(directory: Path, seen: dict[str, str], known_symbols: Iterable[str]) -> TickPlan:
    """What one tick does: which lists changed, which symbols they make new, what was wrong.

    Files are taken in name order; a symbol listed by several changed files belongs to the first.
    An unreadable file is recorded as seen (reported once, by the tick that found it) and read
    again when its bytes change.
    """
    plan = TickPlan(cursor=dict(seen))
    if not directory.is_dir():
        plan.problems.append(
            f"{directory}: constituent list folder does not exist; create it or set "
            "SENSEQUANT_CONSTITUENTS_DIR"
        )
        return plan
    claimed = set(known_symbols)
    for path in list_files(directory):
        try:
            digest = file_digest(path)
        except OSError as exc:
            plan.problems.append(f"{path}: cannot be read ({exc.strerror})")
            continue
        if seen.get(path.name) == digest:
            continue
        plan.cursor[path.name] = digest
        try:
            constituents = read_constituent_file(path)
        except ConstituentListError as exc:
            plan.problems.append(f"{exc}; fix the file and the next tick reads it again")
            continue
        plan.problems.extend(f"skipped bad line {bad}" for bad in constituents.bad_lines)
        new = tuple(s for s in constituents.symbols if s not in claimed)
        claimed.update(new)
        plan.batches.append(Batch(constituents.batch, new))
    return plan


def skip_reason(directory: Path, problems: Sequence[str]) -> str:
    """Why a tick launched nothing: the problems in the folder, no list yet (and how to add
    one), or no new or changed list."""
    if problems:
        return f"{len(problems)} problem(s) in {directory}: " + " | ".join(problems)
    if not list_files(directory):
        return (
            f"no constituent list in {directory} yet: put one there (*.txt, one symbol a line) "
            "and the next tick adds its symbols as partitions and launches one backfill of them"
        )
    return f"no new or changed constituent lists in {directory}"
