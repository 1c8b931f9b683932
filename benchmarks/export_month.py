"""Benchmark 6, the monthly export (issue 12): `safetybot export` of 1,000 people × 30 days, timed, peak RSS.

Per database (SQLite file, or a fresh PostgreSQL database dropped afterwards) and per size: the schema made
by the code under test (`safetybot db upgrade`), then a realistic month written with bulk inserts
(benchmarks/_export_seed.py: ~100 teams of 10 with leaders, safety officers and managers; a round each
workday with ~95 % on time, late, issue, missed check-ins handled or escalated from the digests, leave,
quiz attempts, violations, ~20 reports per 100 people in every state with their history, reminder cards
with recipients and answers, 带班 shifts). Then the export runs as an administrator runs it: the CLI in its
own process (`safetybot export --month … --out … --format xlsx|csv`, SAFETYBOT_DATABASE_URL set), `--runs`
times per format, interleaved (`--extra-runs` at the other sizes); wall time from spawn to exit, CPU and
peak RSS of that process from wait4(2). Memory is shown flat or not by the same export at other sizes (same
per-person density) side by side, and an export of an empty month (same database, nothing on record) as the
process's floor.

Only the CLI is driven (its internals may change): `--source DIR` runs another copy of the code (a clean
checkout, for a before/after), its own migrations included.

    python -m benchmarks export_month [--people 1000] [--sizes 250,500] [--db sqlite,postgresql]
                                      [--runs 3] [--extra-runs 1] [--formats xlsx,csv] [--month 2026-11]
                                      [--source DIR] [--note TEXT] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from benchmarks._common import ROOT, append_results, database
from benchmarks._export_probe import writing
from benchmarks._export_report import report
from benchmarks._export_seed import seed

GOAL_SECONDS = 60.0
EMPTY_MONTH = "2026-01"  # nothing is on record then: the floor of the export process's memory
RUN_LIMIT = 600.0  # seconds one export may take before it is killed (reported as failed)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks export_month", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--people", type=int, default=1000, help="team members of the headline size")
    parser.add_argument("--sizes", default="250,500", help="comma-separated: further sizes, for the memory")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--runs", type=int, default=3, help="exports per format at the headline size: medians"
    )
    parser.add_argument("--extra-runs", type=int, default=1, help="exports per format at the other sizes")
    parser.add_argument("--formats", default="xlsx,csv", help="comma-separated: xlsx, csv")
    parser.add_argument("--month", default="2026-11", help="the month seeded and exported, YYYY-MM")
    parser.add_argument("--source", default=str(ROOT), help="the code to run (PYTHONPATH), default this tree")
    parser.add_argument("--note", default="", help="a line for the recorded section (what was measured)")
    parser.add_argument("--record", action="store_true", help="append the figures to benchmarks/RESULTS.md")
    return parser.parse_args(argv)


@dataclass
class Measured:
    """The runs of one export (database, size, format)."""

    db: str
    people: int
    file_format: str
    month: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    out_bytes: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    writes: list[float] = field(default_factory=list)  # the bot's writes meanwhile: seconds each
    write_errors: list[str] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(self.walls) if self.walls else float("nan")

    @property
    def rss_mib(self) -> float:
        return statistics.median(self.rss_kib) / 1024 if self.rss_kib else float("nan")

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus) if self.cpus else float("nan")


def cli_env(url: str, source: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYBOT_")}
    return env | {"SAFETYBOT_DATABASE_URL": url, "PYTHONPATH": source, "SAFETYBOT_LANGUAGE": "zh-CN"}


def count_rows(path: Path, file_format: str) -> dict[str, int]:
    """Rows per sheet (xlsx) or per CSV file in the zip, header rows included: what the export wrote."""
    if file_format == "csv":
        with zipfile.ZipFile(path) as archive:
            found = {}
            for name in archive.namelist():
                with io.TextIOWrapper(archive.open(name), encoding="utf-8-sig", newline="") as text:
                    found[name] = sum(1 for _ in csv.reader(text))
            return found
    book = load_workbook(path, read_only=True)
    try:
        return {sheet.title: sum(1 for _ in sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
    finally:
        book.close()


# Linux carries a process's peak RSS across fork and exec (the kernel keeps the larger of the old and the new
# memory's high-water mark in ru_maxrss), so a CLI spawned straight from this process, which holds the seeded
# month, would report this process's peak. A small launcher process spawns the CLI instead and reports the
# CLI's own wait4(2) figures as JSON.
LAUNCHER = """
import json, os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
started = time.monotonic()
pid = os.posix_spawn(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.monotonic() - started
figures = {"code": os.waitstatus_to_exitcode(status), "wall": wall, "maxrss_kib": usage.ru_maxrss}
figures["cpu"] = usage.ru_utime + usage.ru_stime
with open(out, "w") as f:
    json.dump(figures, f)
"""


async def run_cli(args: list[str], env: dict[str, str], folder: Path) -> tuple[int, float, float, int, str]:
    """`python -m bot ARGS` (the `safetybot` command) in its own process, spawned by the launcher; (exit
    code, wall s spawn → exit, CPU s, peak RSS KiB, the end of its output), from wait4(2) of that process."""
    log, figures = folder / "cli.log", folder / "cli.json"
    figures.unlink(missing_ok=True)
    command = [sys.executable, "-c", LAUNCHER, str(figures), sys.executable, "-m", "bot", *args]
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *command, env=env, cwd=folder, stdout=out, stderr=out, start_new_session=True
        )
        try:
            await asyncio.wait_for(process.wait(), RUN_LIMIT)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)  # the launcher's own session: the CLI with it
            await process.wait()
    tail = " / ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
    if not figures.exists():
        return process.returncode or -1, RUN_LIMIT, 0.0, 0, tail or "killed"
    found = json.loads(figures.read_text())
    return int(found["code"]), float(found["wall"]), float(found["cpu"]), int(found["maxrss_kib"]), tail


def month_days(month: str) -> tuple[date, date]:
    """`YYYY-MM` → its first and last day (the benchmark's own: the export's parsing may change)."""
    first = date.fromisoformat(f"{month}-01")
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


async def one_size(
    kind: str, people: int, args: argparse.Namespace, folder: Path
) -> tuple[list[Measured], dict[str, Any]]:
    """A fresh database of `people`, seeded; the exports of every format, `--runs` times, interleaved."""
    first, last = month_days(args.month)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    async with database(kind, folder) as url:
        env = cli_env(url, args.source)
        code, wall, _cpu, _rss, tail = await run_cli(["db", "upgrade"], env, folder)
        if code != 0:
            raise RuntimeError(f"`safetybot db upgrade` exited {code}: {tail}")
        started = time.monotonic()
        org = await seed(url, people=people, first=first, last=last, migrate=False)
        seeded = time.monotonic() - started
        print(f"  {kind}, {people} people: seeded {org.counts} in {seeded:.1f} s", flush=True)
        found = {f: Measured(kind, org.people, f, args.month) for f in formats}
        for n in range(args.runs if people == args.people else args.extra_runs):
            for file_format in formats:
                measured = found[file_format]
                out = folder / f"export-{kind}-{people}-{n}.{'zip' if file_format == 'csv' else 'xlsx'}"
                command = ["export", "--month", args.month, "--out", str(out), "--format", file_format]
                async with writing(url) as writes:  # the bot goes on writing meanwhile
                    code, wall, cpu, rss, tail = await run_cli(command, env, folder)
                measured.writes += writes.latencies
                measured.write_errors += writes.errors
                if code != 0 or not out.exists():
                    measured.failures.append(f"exit {code}: {tail}"[:300])
                    print(f"    {file_format} run {n + 1}: FAILED, exit {code}: {tail}", flush=True)
                    continue
                measured.walls.append(wall)
                measured.cpus.append(cpu)
                measured.rss_kib.append(rss)
                if n == 0:
                    measured.out_bytes, measured.rows = out.stat().st_size, count_rows(out, file_format)
                out.unlink()
                print(f"    {file_format} run {n + 1}: {wall:.1f} s, {rss / 1024:.0f} MiB", flush=True)
        results = list(found.values())
        if people == args.people:  # the floor: the same process with nothing to write
            empty = Measured(kind, org.people, formats[0], EMPTY_MONTH)
            out = folder / f"empty.{formats[0]}"
            command = ["export", "--month", EMPTY_MONTH, "--out", str(out), "--format", formats[0]]
            code, wall, cpu, rss, tail = await run_cli(command, env, folder)
            if code == 0:
                empty.walls, empty.cpus, empty.rss_kib = [wall], [cpu], [rss]
            else:
                empty.failures.append(f"exit {code}: {tail}"[:300])
            results.append(empty)
            out.unlink(missing_ok=True)
        return results, {"db": kind, "people": org.people, "counts": org.counts, "seed_s": seeded}


async def run_all(args: argparse.Namespace, folder: Path) -> tuple[list[Measured], list[dict[str, Any]]]:
    sizes = [args.people, *(int(s) for s in args.sizes.split(",") if s.strip())]
    measured: list[Measured] = []
    seeded: list[dict[str, Any]] = []
    for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
        for people in sizes:
            print(f"export_month on {kind}: {people} people …", flush=True)
            found, counts = await one_size(kind, people, args, folder)
            measured += found
            seeded.append(counts)
    return measured, seeded


def main(argv: list[str]) -> None:
    args = _parse(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sb-export-") as folder:
        measured, seeded = asyncio.run(run_all(args, Path(folder)))
    info = {"total_s": time.monotonic() - started, "date": datetime.now(UTC), "goal_s": GOAL_SECONDS}
    first, last = month_days(args.month)
    info |= {"empty_month": EMPTY_MONTH, "days": (last - first).days + 1}
    text = report(args, argv, measured, seeded, info)
    print(text)
    if args.record:
        append_results(text)
        print("appended to benchmarks/RESULTS.md")
