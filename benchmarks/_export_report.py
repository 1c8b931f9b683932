"""The RESULTS.md section of the export benchmark (benchmarks/export_month.py): times, peak RSS side by side
for the sizes, the goals."""

from __future__ import annotations

import argparse
import math
import os
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from benchmarks import _common
from benchmarks._export_probe import INTERVAL

SHOWN = (  # the tables named in the section, with their rows at the headline size
    *("rounds", "obligations", "checkins", "leaves", "quiz_attempts", "reports", "report_events"),
    *("card_recipients", "card_events", "digests", "digest_entries", "duty_shifts"),
)
FLAT = 1.25  # the export's own peak memory at the largest size ÷ at the smallest: at most this is "flat"
SLOW_WRITE_S = 1.0  # a write of the bot's that waited longer than this during an export was held up
NOISE_MIB = 8.0  # … give or take this (allocator and page-cache noise between runs)


class Export(Protocol):
    db: str
    people: int
    file_format: str
    month: str
    walls: list[float]
    rss_kib: list[int]
    failures: list[str]
    out_bytes: int
    rows: dict[str, int]
    writes: list[float]
    write_errors: list[str]

    @property
    def wall(self) -> float: ...

    @property
    def rss_mib(self) -> float: ...

    @property
    def cpu(self) -> float: ...


def code_line(source: str) -> str:
    """The commit of the code under test and whether its tree had changes (read-only git)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", source, *args], capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return f"`{source}` (not a git checkout)"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "bot", "safety", "storage")
    return f"`{source}` at {commit}" + (
        ", with uncommitted changes in bot/, safety/, storage/" if dirty else ""
    )


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{_common.machine()}; load average {load} at the end"


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def _rows(item: Export) -> str:
    return " + ".join(f"{n:,}" for n in item.rows.values()) if item.rows else "—"


def report(
    args: argparse.Namespace,
    argv: list[str],
    measured: Sequence[Export],
    seeded: list[dict[str, Any]],
    info: dict[str, Any],
) -> str:
    command = " ".join([".venv/bin/python -m benchmarks export_month", shlex.join(argv)]).strip()
    head = next((s for s in seeded if s["people"] == max(x["people"] for x in seeded)), seeded[0])
    counts = head["counts"]
    shown = SHOWN
    lines = [
        f"## Monthly export (issue 12): {args.people:,} people × {info['days']} days, "
        f"{args.formats.replace(',', ' and ')} ({info['date']:%Y-%m-%d %H:%M} UTC)",
        "",
        *([f"**{args.note}**", ""] if args.note else []),
        f"- command: `{command}` ({info['total_s']:.0f} s in all); `make bench` runs every benchmark",
        f"- machine: {machine()}",
        f"- code: {code_line(args.source)}; driven only through its CLI, each export in its own process: "
        "`safetybot export --month "
        f"{args.month} --out FILE --format xlsx|csv` with SAFETYBOT_DATABASE_URL; wall = spawn → exit, "
        "CPU and peak RSS (ru_maxrss) of that process from wait4(2); medians of "
        f"{args.runs} runs per format at {args.people:,} people ({args.extra_runs} at the other sizes), "
        "formats interleaved",
        f"- data: a fresh database per size, schema by the code's own `safetybot db upgrade`, then "
        f"{args.month} seeded with bulk inserts (benchmarks/_export_seed.py): teams of 10 (a leader each), "
        "10 teams a project (a safety officer, a project manager), a branch with 2 managers; a round "
        "every workday, ~95 % on time, late, issue, missed (handled, excused or escalated from the digests), "
        "leave, quiz attempts, violations, ~20 reports per 100 people in every state, 3 reminder cards, "
        "带班 shifts. Headline size "
        f"({head['people']:,} people, {head['db']}): "
        + ", ".join(f"{k} {counts.get(k, 0):,}" for k in shown),
        f"- floor: the same export of {info['empty_month']} (nothing on record) on the headline database",
        f"- the bot meanwhile (benchmarks/_export_probe.py): beside every export but the floor, a write "
        f"transaction every {INTERVAL:g} s (an audit-log row through the product's `Database.session()`, as "
        "a press writes), timed; held up = over "
        f"{1000 * SLOW_WRITE_S:.0f} ms or failed",
        "",
        "| db | people | format | rows written (per sheet, with headers) | file | wall s (median) | runs s | "
        "CPU s | peak RSS MiB | bot writes meanwhile: n, p99 / max ms, failed | goal < 60 s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for item in measured:
        floor = item.month == info["empty_month"]
        goal = "" if floor or item.people != head["people"] else _goal(item, info["goal_s"])
        size = f"{item.out_bytes / 1024 / 1024:.1f} MiB" if item.out_bytes else "—"
        label = f"{item.people:,}" + (f" (floor: {item.month})" if floor else "")
        failed = f"; **{len(item.failures)} failed**: {item.failures[0]}" if item.failures else ""
        lines.append(
            f"| {item.db} | {label} | {item.file_format} | {_rows(item)} | {size} | {item.wall:.1f} | "
            f"{_runs(item.walls)}{failed} | {item.cpu:.1f} | {item.rss_mib:.0f} | {_writes(item)} | {goal} |"
        )
    lines += ["", *memory_table(measured, info)]
    lines += ["", reading(measured, head["people"], info)]
    return "\n".join(lines) + "\n"


def _writes(item: Export) -> str:
    if not item.writes:
        return "—"
    ms = sorted(1000 * w for w in item.writes)
    p99 = ms[min(len(ms) - 1, max(0, math.ceil(0.99 * len(ms)) - 1))]
    failed = f"**{len(item.write_errors)}**" if item.write_errors else "0"
    return f"{len(ms)}, {p99:.0f} / {ms[-1]:.0f}, {failed}"


def _goal(item: Export, goal_s: float) -> str:
    if item.failures and not item.walls:
        return "**failed**"
    return "met" if item.wall < goal_s and not item.failures else f"**missed** ({item.wall:.0f} s)"


@dataclass(frozen=True)
class Growth:
    """Peak RSS by size of one database and format."""

    db: str
    file_format: str
    by_size: dict[int, float]  # people → MiB
    floor: float | None  # the empty month's, MiB

    @property
    def ratio(self) -> float:
        return self.by_size[max(self.by_size)] / self.by_size[min(self.by_size)]

    @property
    def per_100(self) -> float:
        low, high = min(self.by_size), max(self.by_size)
        return 100 * (self.by_size[high] - self.by_size[low]) / (high - low) if high > low else float("nan")

    def above(self, people: int) -> float:
        """The export's own memory at this size: peak RSS above the floor (the interpreter, the libraries,
        the migrations: what an export of nothing needs)."""
        return self.by_size[people] - (self.floor or 0.0)

    @property
    def flat(self) -> bool:
        """Flat: the memory above the floor at the largest size is at most FLAT× that at the smallest, give
        or take NOISE_MIB (without a floor: the totals)."""
        low, high = min(self.by_size), max(self.by_size)
        return self.above(high) <= FLAT * self.above(low) + NOISE_MIB


def growths(measured: Sequence[Export], info: dict[str, Any]) -> list[Growth]:
    real = [m for m in measured if m.month != info["empty_month"] and m.rss_kib]
    found = []
    for db in dict.fromkeys(m.db for m in real):
        floor = next(
            (m for m in measured if m.db == db and m.month == info["empty_month"] and m.rss_kib), None
        )
        for file_format in dict.fromkeys(m.file_format for m in real):
            by_size = {m.people: m.rss_mib for m in real if m.db == db and m.file_format == file_format}
            if by_size:
                found.append(Growth(db, file_format, by_size, floor.rss_mib if floor else None))
    return found


def memory_table(measured: Sequence[Export], info: dict[str, Any]) -> list[str]:
    """Peak RSS per size side by side, per database and format, with the floor and the ratio."""
    rows = growths(measured, info)
    sizes = sorted({s for g in rows for s in g.by_size})
    if not sizes:
        return []
    lines = [
        "Peak RSS (MiB, median of the runs) by size, same per-person density, and in brackets above the "
        "floor (the export's own memory); flat = above the floor, the largest size's ≤ "
        f"{FLAT}× the smallest's + {NOISE_MIB:.0f} MiB:",
        "",
        "| db | format | " + " | ".join(f"{s:,} people" for s in sizes) + " | floor (empty month) | "
        f"{sizes[-1]:,} ÷ {sizes[0]:,} | growth MiB per 100 people | flat |",
        "| --- | --- | " + " | ".join("---" for _ in sizes) + " | --- | --- | --- | --- |",
    ]
    for g in rows:
        cells = " | ".join(
            f"{g.by_size[s]:.0f} ({round(g.above(s)):+d})" if s in g.by_size else "—" for s in sizes
        )
        floor = f"{g.floor:.0f}" if g.floor is not None else "—"
        flat = "yes" if g.flat else "**no**"
        lines.append(
            f"| {g.db} | {g.file_format} | {cells} | {floor} | {g.ratio:.2f} | {g.per_100:.1f} | {flat} |"
        )
    return lines


def reading(measured: Sequence[Export], headline: int, info: dict[str, Any]) -> str:
    top = [m for m in measured if m.people == headline and m.month != info["empty_month"]]
    met = [m for m in top if m.walls and not m.failures and m.wall < info["goal_s"]]
    slowest = max((m.wall for m in top if m.walls), default=float("nan"))
    verdict = "met" if top and len(met) == len(top) else "**not met**"
    parts = [
        f"**Reading.** Goal (< {info['goal_s']:.0f} s for {headline:,} people, every database and format): "
        f"{verdict}; slowest median {slowest:.1f} s.",
    ]
    rows = growths(measured, info)
    if rows:
        grows = [f"{g.db} {g.file_format} +{g.per_100:.1f} MiB per 100 people" for g in rows if not g.flat]
        parts.append(
            f"Memory: flat in every database and format (at most ×{max(g.ratio for g in rows):.2f} from "
            f"{min(min(g.by_size) for g in rows):,} to {max(max(g.by_size) for g in rows):,} people)."
            if not grows
            else "Memory: **not flat**: peak RSS grows with the people exported (" + ", ".join(grows) + ")."
        )
    slow = [m for m in measured if m.write_errors or (m.writes and max(m.writes) > SLOW_WRITE_S)]
    if slow:
        parts.append(
            "The bot's writes during the export: **held up** ("
            + "; ".join(
                f"{m.db} {m.people} {m.file_format}: max {1000 * max(m.writes):.0f} ms, "
                f"{len(m.write_errors)} failed" + (f" ({m.write_errors[0]})" if m.write_errors else "")
                for m in slow
            )
            + ")."
        )
    elif any(m.writes for m in measured):
        parts.append(
            f"The bot's writes during the export: none over {1000 * SLOW_WRITE_S:.0f} ms, none failed."
        )
    failed = [m for m in measured if m.failures]
    if failed:
        parts.append(
            "Failed exports: "
            + "; ".join(f"{m.db} {m.people} {m.file_format}: {m.failures[0]}" for m in failed)
        )
    return " ".join(parts)
