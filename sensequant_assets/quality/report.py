"""The batch coverage report: every symbol x year of a constituent list, classified.

It replaces the original `check_symbol_coverage.py`, whose "ok" meant one CSV existed. Each cell
comes from the same coverage evaluation as the coverage check, so the report and the UI's check
grid agree; a symbol whose lookup failed is "unmapped" rather than a column of empty years. What
the bars say about the calendar (sessions it missed, holidays it lacks) is reported once per list,
below the table, with the line to add to data/reference/sessions.csv.
"""

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from sensequant_assets.quality.coverage import CoverageResult
from sensequant_assets.quality.evaluate import (
    evaluate_symbol_years,
    mapping_problems,
    read_partition_bars,
)
from sensequant_assets.quality.sessions import SessionEvidence
from sensequant_assets.universe.constituents import ConstituentList

Status = Literal["complete", "partial", "empty", "unmapped", "no_sessions"]
STATUSES: tuple[Status, ...] = ("complete", "partial", "empty", "unmapped", "no_sessions")


@dataclass(frozen=True)
class Cell:
    status: Status
    coverage: CoverageResult

    @property
    def label(self) -> str:
        if self.status == "partial":
            parts = [f"{len(self.coverage.missing)} missing"] if self.coverage.missing else []
            if self.coverage.unexpected:
                parts.append(f"{len(self.coverage.unexpected)} unexpected")
            return f"partial ({', '.join(parts)})"
        return self.status.replace("_", " ")

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "expected_sessions": len(self.coverage.expected),
            "found_sessions": len(self.coverage.found),
            "missing_sessions": len(self.coverage.missing),
            "first_missing_dates": [d.isoformat() for d in self.coverage.missing[:5]],
            "special_sessions": [d.isoformat() for d in self.coverage.special_sessions],
            "holidays_excluded": [d.isoformat() for d in self.coverage.holidays],
            "unexpected_dates": [d.isoformat() for d in self.coverage.unexpected],
        }


@dataclass(frozen=True)
class ListReport:
    constituents: ConstituentList
    years: tuple[int, ...]
    cells: Mapping[str, Mapping[int, Cell]]
    evidence: SessionEvidence
    generated_at: dt.datetime

    @property
    def batch(self) -> str:
        return self.constituents.batch

    def counts(self) -> dict[str, int]:
        tally = Counter(c.status for row in self.cells.values() for c in row.values())
        return {status: tally.get(status, 0) for status in STATUSES}

    def to_json(self) -> dict[str, object]:
        return {
            "batch": self.batch,
            "list_file": str(self.constituents.path),
            "generated_at": self.generated_at.isoformat(),
            "years": list(self.years),
            "summary": self.counts(),
            "symbols": {
                symbol: {str(year): cell.to_json() for year, cell in row.items()}
                for symbol, row in self.cells.items()
            },
            "bad_lines": [str(line) for line in self.constituents.bad_lines],
            "calendar": self.evidence.metadata(),
        }

    def markdown(self) -> str:
        counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in self.counts().items() if n)
        lines = [
            f"**{self.batch}**: {len(self.cells)} symbols x {len(self.years)} years: {counts}",
            "",
            "| symbol | " + " | ".join(str(y) for y in self.years) + " |",
            "|---|" + "---|" * len(self.years),
        ]
        lines += [
            f"| {symbol} | " + " | ".join(row[y].label for y in self.years) + " |"
            for symbol, row in self.cells.items()
        ]
        if self.constituents.bad_lines:
            lines += ["", "Lines skipped in the list file:"]
            lines += [f"- `{line}`" for line in self.constituents.bad_lines]
        return "\n".join(lines + self.evidence.markdown())


def build_reports(
    conn: duckdb.DuckDBPyConnection,
    lists: Sequence[ConstituentList],
    listings: Mapping[str, dt.date],
    evidence: SessionEvidence,
    now: dt.datetime | None = None,
) -> list[ListReport]:
    """Classify every symbol x year (the evidence's years) of every list, reading the warehouse
    once for all lists; `evidence` comes from `read_calendar_evidence` over those years."""
    symbols = sorted({s for constituents in lists for s in constituents.symbols})
    years = evidence.years
    wanted = [(symbol, year) for symbol in symbols for year in years]
    problems = mapping_problems(conn, symbols)
    data = read_partition_bars(conn, wanted)
    results = evaluate_symbol_years(data, wanted, listings, evidence.known, now)
    coverage = {key: result.coverage for key, result in zip(wanted, results, strict=True)}
    generated_at = now or dt.datetime.now(dt.UTC)
    return [
        ListReport(
            constituents=constituents,
            years=years,
            cells={
                symbol: {
                    year: Cell(
                        "unmapped" if problems[symbol] else coverage[symbol, year].verdict,
                        coverage[symbol, year],
                    )
                    for year in years
                }
                for symbol in constituents.symbols
            },
            evidence=evidence,
            generated_at=generated_at,
        )
        for constituents in lists
    ]


def write_report(report: ListReport, directory: Path) -> Path:
    """Write `<batch>.json` whole or not at all: scripts may be reading the previous one."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{report.batch}.json"
    partial = target.with_suffix(".json.tmp")
    partial.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(partial, target)
    return target
