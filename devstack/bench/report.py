"""The bench's table: each figure with its ratio to the ceiling and DESIGN.md's target beside it,
printed, and written as JSON and Markdown under ``bench/results/`` so runs can be compared."""

from __future__ import annotations

import json
import math
import platform
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack.services import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results"


@dataclass
class Row:
    figure: str
    rate: float
    unit: str
    p50_ms: float
    p95_ms: float
    p99_ms: float
    note: str = ""
    target: str = ""
    met: bool | None = None  # None: no target, or not comparable

    @property
    def verdict(self) -> str:
        return {True: "met", False: "SHORT", None: ""}[self.met]


@dataclass
class Report:
    ceiling: float
    ceiling_runs: list[float]
    rows: list[Row] = field(default_factory=list)
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per confirmed booking, by process
    cpu_note: str = ""
    memory: dict[str, tuple[float, float]] = field(default_factory=dict)  # idle, after (MB)
    settings: dict[str, Any] = field(default_factory=dict)

    def ratio(self, rate: float) -> float:
        return rate / self.ceiling if self.ceiling else math.nan


def _fmt(value: float, digits: int = 1) -> str:
    return "" if value != value else f"{value:.{digits}f}"


def lines(report: Report) -> list[str]:
    out = [
        f"ceiling: bare FastAPI JSON endpoint behind the same Nginx = {report.ceiling:.0f} req/s "
        f"(runs: {', '.join(f'{r:.0f}' for r in report.ceiling_runs)})",
        f"{'figure':<44}{'rate':>15}{'× ceil':>8}{'p50':>8}{'p95':>8}{'p99':>8}"
        f"  {'target':<22}{'':<6}notes",
    ]
    for r in report.rows:
        rate = "" if r.rate != r.rate else f"{r.rate:.1f} {r.unit}"
        ratio = "" if r.rate != r.rate or r.unit != "req/s" else f"{report.ratio(r.rate):.2f}"
        out.append(
            f"{r.figure:<44}{rate:>15}{ratio:>8}{_fmt(r.p50_ms):>8}{_fmt(r.p95_ms):>8}"
            f"{_fmt(r.p99_ms):>8}  {r.target:<22}{r.verdict:<6}{r.note}"
        )
    if report.cpu_ms:
        out.append("")
        out.append(f"CPU per confirmed booking, by process (ms) — {report.cpu_note}")
        for group, ms in report.cpu_ms.items():
            out.append(f"  {group:<14}{ms:>8.1f}")
    if report.memory:
        out.append("")
        out.append("memory per service (RSS MB): idle → after the load (target < 150)")
        for name, (idle, after) in report.memory.items():
            out.append(f"  {name:<14}{idle:>7.1f} → {after:.1f}")
    return out


def markdown(report: Report) -> str:
    md = [
        "# make bench",
        "",
        f"Ceiling (bare FastAPI behind the same Nginx): **{report.ceiling:.0f} req/s**.",
        "",
        "| figure | rate | × ceiling | p50 ms | p95 ms | p99 ms | target | | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report.rows:
        rate = "" if r.rate != r.rate else f"{r.rate:.1f} {r.unit}"
        ratio = "" if r.rate != r.rate or r.unit != "req/s" else f"{report.ratio(r.rate):.2f}"
        md.append(
            f"| {r.figure.strip()} | {rate} | {ratio} | {_fmt(r.p50_ms)} | {_fmt(r.p95_ms)} | "
            f"{_fmt(r.p99_ms)} | {r.target} | {r.verdict} | {r.note} |"
        )
    if report.cpu_ms:
        md += ["", f"CPU per confirmed booking ({report.cpu_note}):", ""]
        md += ["| process | ms |", "|---|---|"]
        md += [f"| {group} | {ms:.1f} |" for group, ms in report.cpu_ms.items()]
    if report.memory:
        md += ["", "| service | RSS idle MB | RSS after MB |", "|---|---|---|"]
        md += [f"| {n} | {i:.1f} | {a:.1f} |" for n, (i, a) in report.memory.items()]
    return "\n".join(md) + "\n"


def save(report: Report, *, folder: Path = RESULTS) -> tuple[Path, Path]:
    """``bench/results/<UTC time>.json`` and ``.md``."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    data = asdict(report) | {
        "at": stamp,
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
    }
    json_path, md_path = folder / f"{stamp}.json", folder / f"{stamp}.md"
    json_path.write_text(json.dumps(data, indent=2, default=str))
    md_path.write_text(markdown(report))
    return json_path, md_path
