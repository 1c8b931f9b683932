"""Benchmark 3, escalation tick: one `safety.escalation.tick` over 10,000 due of 100,000 open obligations.

PostgreSQL only. A fresh database `sb_bench_<random>` is loaded with asyncpg COPY: a company with a manager
and a safety officer, 10 projects with a safety officer each, 100 teams with a team leader and 100 staff
each, everyone bound; the default check-in policy (self at due, team leader +15 min, safety officer
+45 min, manager +2 h) stored on the company unit as an import would. Obligations, all open:

- due (10,000): today's check-in of every staff member; the tick runs at 07:45:01 local. Even teams were
  due at 07:30 and had their self reminder (level 0): the tick sends their team-leader digest (step 1).
  Odd teams are due at 07:45 (level -1): the tick sends each person's own reminder (step 0).
- not due (90,000): per staff member, 4 check-ins of earlier days with their policy exhausted
  (next_step_at NULL) and 5 quiz requirements whose first step is 1 min to 72 h ahead.

Then ONE tick with `limit` ≥ the due count is timed (session, tick and commit), several times: before each
run the due rows are re-armed (level and next_step_at back, the tick's digests and outbox rows deleted,
VACUUM ANALYZE). The first run is cold (a new engine: no connections, no compiled statements); the
figure is the median of the warm runs. Every SQL statement the tick sends is counted and timed by shape
(`before_cursor_execute` / `after_cursor_execute` on the engine), and EXPLAIN (ANALYZE, BUFFERS) is shown
for the due-obligations query and the heaviest statements.

    python -m benchmarks escalation [--obligations 100000] [--due 10000] [--teams 100] [--runs 5]
                                    [--profile] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from benchmarks._common import StatementCount, append_results, database, machine
from safety import escalation, kinds
from safety.config import Defaults
from storage.db import Database
from storage.migrate import upgrade

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 27)
NOW = datetime.combine(DAY, dtime(7, 45, 1), SHANGHAI).astimezone(UTC)
DUE_EARLY = datetime.combine(DAY, dtime(7, 30), SHANGHAI).astimezone(UTC)  # even teams: step 1 is due
DUE_LATE = datetime.combine(DAY, dtime(7, 45), SHANGHAI).astimezone(UTC)  # odd teams: step 0 is due
NEXT_STEP = DUE_LATE  # both: 07:30 + 15 min and 07:45 + 0
OLD_ROUNDS = 4  # earlier days' check-ins per person, exhausted
PROJECTS = 10


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks escalation", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--obligations", type=int, default=100_000, help="open obligations in all")
    parser.add_argument("--due", type=int, default=10_000, help="of which due now (today's check-ins)")
    parser.add_argument("--teams", type=int, default=100, help="teams (rounds) the due ones belong to")
    parser.add_argument("--runs", type=int, default=5, help="timed ticks, the first one cold")
    parser.add_argument("--limit", type=int, default=0, help="the tick's limit (default: --due)")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of one tick")
    parser.add_argument("--record", action="store_true", help="append the figures to benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    args.limit = args.limit or args.due
    if args.due % args.teams or args.teams % 2 or args.teams < PROJECTS:
        parser.error("--due must split evenly over an even number of --teams (at least 10)")
    extra, rest = divmod(args.obligations - args.due, args.due)
    if rest or extra < OLD_ROUNDS:
        parser.error(f"--obligations - --due must be a multiple of --due, at least {OLD_ROUNDS}x")
    return args


# -- loading -------------------------------------------------------------------------------------------------


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def load(conn: asyncpg.Connection, args: argparse.Namespace) -> dict[str, int]:
    """Everything through COPY (units through INSERT); returns row counts."""
    now = datetime.now(UTC)
    per_team = args.due // args.teams
    staff = args.due
    policy = {
        "checkin": list(kinds.get("checkin").default_policy),
        "quiz": list(kinds.get("quiz").default_policy),
    }
    units: list[tuple[Any, ...]] = [("co", "压测公司", None, json.dumps(policy), None, 0)]
    units += [(f"p{j:02d}", f"项目部{j:02d}", "co", None, None, j) for j in range(PROJECTS)]
    for t in range(args.teams):
        due = "07:30" if t % 2 == 0 else "07:45"
        checkin = json.dumps({"days": "everyday", "opens": "07:00", "due": due})
        units.append((f"t{t:03d}", f"压测{t:03d}班", f"p{t % PROJECTS:02d}", None, checkin, t))
    await conn.executemany(
        "INSERT INTO units (id, name, parent_id, escalation, checkin, sort_order, timezone, active) "
        "VALUES ($1, $2, $3, $4::json, $5::json, $6, 'Asia/Shanghai', true)",
        units,
    )

    people: list[tuple[Any, ...]] = []
    roles: list[tuple[Any, ...]] = []

    def person(pid: int, no: str, name: str, unit: str, *held: tuple[str, str]) -> None:
        people.append((pid, no, name, None, unit, None, True, True, None, False, now))
        for role, at in held:
            roles.append((len(roles) + 1, pid, role, at))

    for i in range(staff):
        team = f"t{i // per_team:03d}"
        person(i + 1, f"E{i:06d}", f"员工{i:06d}", team, ("staff", team))
    pid = staff
    for t in range(args.teams):
        pid += 1
        person(pid, f"L{t:04d}", f"班长{t:03d}", f"t{t:03d}", ("team_leader", f"t{t:03d}"))
    for j in range(PROJECTS):
        pid += 1
        person(pid, f"S{j:04d}", f"安全员{j:02d}", f"p{j:02d}", ("safety_officer", f"p{j:02d}"))
    person(pid + 1, "S9999", "钱安全", "co", ("safety_officer", "co"))
    person(pid + 2, "M0001", "郑经理", "co", ("manager", "co"), ("team_leader", "co"))
    await conn.copy_records_to_table(
        "people",
        records=people,
        columns=[
            "id",
            "employee_no",
            "name",
            "phone",
            "unit_id",
            "language",
            "active",
            "cleared",
            "cleared_until",
            "unreachable",
            "created_at",
        ],
    )
    await conn.copy_records_to_table(
        "role_assignments", records=roles, columns=["id", "person_id", "role", "unit_id"]
    )
    identities = [(p[0], p[0], "telegram", str(7_000_000 + p[0]), str(7_000_000 + p[0]), now) for p in people]
    await conn.copy_records_to_table(
        "chat_identities",
        records=identities,
        columns=["id", "person_id", "channel", "external_id", "chat_id", "bound_at"],
    )

    rounds: list[tuple[Any, ...]] = []
    for t in range(args.teams):  # today's: ids 1..teams
        due_at = DUE_EARLY if t % 2 == 0 else DUE_LATE
        opens = datetime.combine(DAY, dtime(7, 0), SHANGHAI).astimezone(UTC)
        rounds.append((t + 1, f"t{t:03d}", DAY, opens, due_at, opens))
    for back in range(1, OLD_ROUNDS + 1):
        day = DAY - timedelta(days=back)
        for t in range(args.teams):
            opens = datetime.combine(day, dtime(7, 0), SHANGHAI).astimezone(UTC)
            due_at = datetime.combine(day, dtime(7, 30), SHANGHAI).astimezone(UTC)
            rounds.append((len(rounds) + 1, f"t{t:03d}", day, opens, due_at, opens))
    await conn.copy_records_to_table(
        "rounds", records=rounds, columns=["id", "unit_id", "day", "opens_at", "due_at", "created_at"]
    )

    rng = random.Random(3)
    requirements = args.obligations // args.due - 1 - OLD_ROUNDS
    obligations: list[tuple[Any, ...]] = []

    def obligation(
        kind: str, ref: str, subject: int, unit: str, due: datetime, level: int, step: Any
    ) -> None:
        obligations.append((len(obligations) + 1, kind, ref, subject, unit, due, "open", level, step, now))

    for i in range(staff):  # ids 1..due: the due ones
        t = i // per_team
        due_at = DUE_EARLY if t % 2 == 0 else DUE_LATE
        obligation(
            "checkin", f"round:{t + 1}", i + 1, f"t{t:03d}", due_at, 0 if t % 2 == 0 else -1, NEXT_STEP
        )
    for back in range(1, OLD_ROUNDS + 1):
        for i in range(staff):
            t = i // per_team
            round_ = rounds[back * args.teams + t]
            obligation("checkin", f"round:{round_[0]}", i + 1, f"t{t:03d}", round_[4], 3, None)
    for k in range(requirements):
        for i in range(staff):
            due_at = NOW + timedelta(seconds=rng.uniform(60, 72 * 3600))
            obligation("quiz", f"quiz:{k + 1}", i + 1, f"t{i // per_team:03d}", due_at, -1, due_at)
    await conn.copy_records_to_table(
        "obligations",
        records=obligations,
        columns=[
            "id",
            "kind",
            "ref",
            "subject_id",
            "unit_id",
            "due_at",
            "state",
            "level",
            "next_step_at",
            "created_at",
        ],
    )
    for table in ("people", "role_assignments", "chat_identities", "rounds", "obligations"):
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    await conn.execute("VACUUM ANALYZE")
    return {
        "units": len(units),
        "people": len(people),
        "rounds": len(rounds),
        "obligations": len(obligations),
    }


async def rearm(conn: asyncpg.Connection, args: argparse.Namespace) -> None:
    """The due rows as before the tick; the tick's digests and outbox rows gone; dead rows vacuumed."""
    for table in ("digest_recipients", "digest_entries", "digests", "outbox"):
        await conn.execute(f"DELETE FROM {table}")
    await conn.execute(
        "UPDATE obligations SET level = CASE WHEN due_at = $1 THEN 0 ELSE -1 END, next_step_at = $2 "
        "WHERE id <= $3",
        DUE_EARLY,
        NEXT_STEP,
        args.due,
    )
    await conn.execute("VACUUM ANALYZE obligations, outbox, digests, digest_entries, digest_recipients")
    due = await conn.fetchval(
        "SELECT count(*) FROM obligations WHERE state = 'open' AND next_step_at <= $1", NOW
    )
    if due != args.due:
        raise RuntimeError(f"{due} obligations due after re-arming, expected {args.due}")


# -- timing --------------------------------------------------------------------------------------------------


async def one_tick(db: Database, args: argparse.Namespace) -> tuple[float, escalation.TickReport]:
    started = time.perf_counter()
    async with db.session() as session:
        report = await escalation.tick(
            session, now=NOW, defaults=Defaults(channel="telegram"), limit=args.limit
        )
    return time.perf_counter() - started, report


async def explain(conn: asyncpg.Connection, statement: str, parameters: Any) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of one captured statement, rolled back (so writes change nothing)."""
    params = list(parameters) if isinstance(parameters, list | tuple) else []
    transaction = conn.transaction()
    await transaction.start()
    try:
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *params)
    finally:
        await transaction.rollback()
    return [row[0] for row in rows]


def trim_plan(lines: list[str], keep: int = 14) -> list[str]:
    """The plan without its per-node output lists; long plans are cut after `keep` lines."""
    out = [line for line in lines if not line.strip().startswith(("Output:", "Sort Key: obligations.id"))]
    out = [re.sub(r"\(cost=[^)]*\) ", "", line) for line in out]
    out = [re.sub(r"'\{([^}]{40})[^}]*\}'", r"'{\1…}'", line) for line in out]  # long id arrays
    return out if len(out) <= keep else [*out[: keep - 2], "  …", *out[-2:]]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sb-esc-") as folder:
        async with database("postgresql", Path(folder)) as url:
            await upgrade(url)
            conn = await asyncpg.connect(_dsn(url))
            try:
                started = time.monotonic()
                counts = await load(conn, args)
                load_s = time.monotonic() - started
                print(f"loaded {counts} in {load_s:.1f} s", flush=True)
                db = Database(url)
                statements = StatementCount(db.engine)
                timings, per_run = [], []
                try:
                    for i in range(args.runs):
                        await rearm(conn, args)
                        statements.reset()
                        seconds, report = await one_tick(db, args)
                        timings.append(seconds)
                        per_run.append((sum(statements.seconds.values()), statements.total))
                        print(
                            f"  tick {i + 1}{' (cold)' if i == 0 else ''}: {seconds * 1000:.0f} ms, "
                            f"{statements.total} statements, {report}",
                            flush=True,
                        )
                    shapes = sorted(statements.shapes.items(), key=lambda kv: -statements.seconds[kv[0]])
                    seconds_by_shape = dict(statements.seconds)
                    samples = dict(statements.samples)
                    outbox = {
                        r["kind"]: r["n"]
                        for r in await conn.fetch("SELECT kind, count(*) AS n FROM outbox GROUP BY kind")
                    }
                    digests = await conn.fetchval("SELECT count(*) FROM digests")
                    hotspots = await profile_tick(db, conn, args) if args.profile else []
                    await rearm(conn, args)
                    plans = await plans_of(conn, shapes, seconds_by_shape, samples)
                finally:
                    statements.close()
                    await db.dispose()
            finally:
                await conn.close()
    warm = timings[1:] or timings
    return {
        "counts": counts,
        "load_s": load_s,
        "timings": timings,
        "cold_s": timings[0],
        "median_s": statistics.median(warm),
        "report": report,
        "per_run_db": per_run,
        "shapes": [(shape, count, seconds_by_shape.get(shape, 0.0)) for shape, count in shapes],
        "outbox": outbox,
        "digests": digests,
        "plans": plans,
        "hotspots": hotspots,
    }


DUE_QUERY = re.compile(r"FROM obligations WHERE obligations\.state = \S+ AND obligations\.next_step_at <=")


async def plans_of(
    conn: asyncpg.Connection,
    shapes: list[tuple[str, int]],
    seconds: dict[str, float],
    samples: dict[str, tuple[str, Any]],
) -> list[tuple[str, int, float, list[str]]]:
    """The due-obligations query first, then the two statements (not INSERTs) with the most total time."""
    chosen = [s for s, _ in shapes if DUE_QUERY.search(s)]
    chosen += [
        s for s, _ in shapes if s not in chosen and not s.startswith(("INSERT", "SAVEPOINT", "RELEASE"))
    ][:2]
    counts = dict(shapes)
    out = []
    for shape in chosen:
        statement, parameters = samples[shape]
        out.append(
            (shape, counts[shape], seconds.get(shape, 0.0), await explain(conn, statement, parameters))
        )
    return out


# Where a profile's time is reported: product code, and the library calls it spends the most in.
HOTSPOTS = {
    "_do_post_synchronize_evaluate": "ORM UPDATE, synchronize_session='evaluate' over the identity map",
    "_compile_w_cache": "compiling statements: multi-row VALUES are compiled anew each time",
    "instances": "building ORM objects from rows",
    "flush": "ORM flush (unit of work)",
}


async def profile_tick(db: Database, conn: asyncpg.Connection, args: argparse.Namespace) -> list[str]:
    """One more tick under pyinstrument (if installed): printed in full; returns the summary lines."""
    try:
        from pyinstrument import Profiler  # optional: pip install pyinstrument
    except ImportError:
        print("--profile: pyinstrument is not installed (pip install pyinstrument)", flush=True)
        return []
    await rearm(conn, args)
    profiler = Profiler(interval=0.001, async_mode="disabled")  # greenlet frames count where they run
    profiler.start()
    await one_tick(db, args)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False), flush=True)
    session = profiler.last_session
    assert session is not None
    root = session.root_frame()
    if root is None:
        return []
    inclusive: dict[tuple[str, str], float] = {}

    def walk(frame: Any, seen: frozenset[tuple[str, str]]) -> None:
        path = (frame.file_path_short or "").split("site-packages/")[-1]
        key = (frame.function, path)
        if key not in seen:
            inclusive[key] = inclusive.get(key, 0.0) + frame.time
        for child in frame.children:
            walk(child, seen | {key})

    walk(root, frozenset())
    total = root.time
    ours = sorted(
        ((k, v) for k, v in inclusive.items() if k[1].startswith(("safety/", "storage/"))),
        key=lambda kv: -kv[1],
    )
    lines = [
        f"{v / total:.0%} `{path}:{name}`"
        for (name, path), v in ours
        if v / total >= 0.05 and name not in ("tick",)
    ][:8]
    for name, what in HOTSPOTS.items():
        spent = sum(v for (fn, path), v in inclusive.items() if fn == name and path.startswith("sqlalchemy/"))
        if spent / total >= 0.05:
            lines.append(f"{spent / total:.0%} in SQLAlchemy `{name}` ({what})")
    return lines


# -- report --------------------------------------------------------------------------------------------------


def reading(r: dict[str, Any], median_db: float, total_statements: int) -> str:
    """The one-paragraph reading, from the figures (and the profile, with --profile)."""
    due_plan: list[str] = next((plan for shape, _, _, plan in r["plans"] if DUE_QUERY.search(shape)), [])
    uses_index = any("ix_obligations_due_steps" in line for line in due_plan)
    executed = next((line.split(":", 1)[1].strip() for line in due_plan if "Execution Time" in line), "?")
    by_count = sorted(r["shapes"], key=lambda s: -s[1])
    repeated = "; ".join(f"{count}× `{shape[:70]}…`" for shape, count, _ in by_count[:3])
    goal = (
        "meets the goal of < 1 s"
        if r["median_s"] < 1.0
        else f"misses the goal of < 1 s by {r['median_s']:.1f}×"
    )
    python_s = r["median_s"] - median_db
    where = (
        "The database is not where most of the time goes"
        if python_s > median_db
        else "The time splits between the database and Python"
    )
    text = (
        f"**Reading.** One tick moving {r['report'].escalated:,} due obligations took {r['median_s']:.2f} s "
        f"(median of the warm runs) and {goal}. {where}: "
        f"the due-obligations query {'uses' if uses_index else 'does NOT use'} `ix_obligations_due_steps` "
        f"(execution {executed} for {r['report'].escalated:,} rows) and all {total_statements:,} statements "
        f"together spent {median_db:.2f} s in the driver and server; the other {python_s:.2f} s are Python "
        f"in the bot's process. The statements sent most often: {repeated}."
    )
    if r["hotspots"]:
        text += (
            " Profile of one more tick (pyinstrument, inclusive shares of its wall time): "
            + "; ".join(r["hotspots"])
            + "."
        )
    return text


def report_text(args: argparse.Namespace, argv: list[str], r: dict[str, Any]) -> str:
    command = " ".join([".venv/bin/python -m benchmarks escalation", *argv])
    db_s = [d for d, _ in r["per_run_db"][1:]] or [r["per_run_db"][0][0]]
    total_statements = r["per_run_db"][-1][1]
    median_db = statistics.median(db_s)
    verdict = (
        "met" if r["median_s"] < 1.0 else f"missed by {r['median_s'] - 1.0:.2f} s ({r['median_s']:.2f}×)"
    )
    c = r["counts"]
    lines = [
        f"## Escalation tick: {args.due:,} due of {args.obligations:,} open obligations, PostgreSQL "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"- command: `{command}`",
        f"- machine: {machine()}",
        f"- data (asyncpg COPY, {r['load_s']:.1f} s): {c['units']} units (company, {PROJECTS} projects, "
        f"{args.teams} teams), {c['people']:,} people bound, {c['rounds']} rounds, {c['obligations']:,} open "
        f"obligations; due: {args.due:,} check-ins of {args.teams} rounds at 07:45:01 local — half the teams "
        f"at step 1 (team-leader digest), half at step 0 (own reminder); not due: {OLD_ROUNDS} exhausted "
        "check-ins and the rest quiz requirements 1 min–72 h ahead per person",
        f"- one `escalation.tick(limit={args.limit:,})` in its own session, commit included; re-armed and "
        f"VACUUM ANALYZE before each of {args.runs} runs; the first run is cold (new engine)",
        f"- result per tick: {r['report'].escalated:,} escalated, {r['report'].digests} digests, "
        f"{r['report'].reminders:,} reminders; outbox rows {r['outbox']}, digests {r['digests']}",
        "",
        "| runs (s) | cold s | median warm s | goal < 1 s | SQL statements | SQL time s (median) | "
        "Python time s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        f"| {', '.join(f'{t:.2f}' for t in r['timings'])} | {r['cold_s']:.2f} | {r['median_s']:.2f} | "
        f"{verdict} | "
        f"{total_statements:,} | {median_db:.2f} | {r['median_s'] - median_db:.2f} |",
        "",
        reading(r, median_db, total_statements),
        "",
        "Statements of the last tick by shape (count, total ms; parameters collapsed to …):",
        "",
        "| count | ms | statement |",
        "| --- | --- | --- |",
    ]
    for shape, count, seconds in r["shapes"]:
        lines.append(f"| {count} | {seconds * 1000:.0f} | `{shape.replace('|', '/')}` |")
    for shape, count, seconds, plan in r["plans"]:
        lines += [
            "",
            f"EXPLAIN (ANALYZE, BUFFERS) of `{shape[:120]}{'…' if len(shape) > 120 else ''}` "
            f"({count}× per tick, {seconds * 1000:.0f} ms in all), trimmed:",
            "",
            "```",
            *trim_plan(plan),
            "```",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    args = _parse(argv)
    result = asyncio.run(run(args))
    text = report_text(args, argv, result)
    print(text)
    if args.record:
        append_results(text)
        print("appended to benchmarks/RESULTS.md")
