"""Figures and the RESULTS.md section of the daily digest benchmark (benchmarks/daily_digest.py), from the
job's step timings and the sandbox's request records (CLOCK_MONOTONIC, the same clock as the job's)."""

from __future__ import annotations

import argparse
import math
import shlex
import statistics
from collections import Counter, defaultdict
from typing import Any

from benchmarks._common import ROOT
from benchmarks._export_report import code_line, machine

PHOTO, MESSAGE = "sendPhoto", "sendMessage"
HOUSEKEEPING_S = 60.0  # housekeeping runs every minute: the digest should be out before the next pass


def delivery(run: dict[str, Any]) -> dict[str, Any]:
    """From the sandbox's records: when each leader had their last photo, calls, the lower bound."""
    t0, leaders = run["t0"], run["leaders"]
    ok = [c for c in run["calls"] if c["status"] == 200 and c["method"] in (PHOTO, MESSAGE)]
    last_photo: dict[int, float] = {}
    per_chat: Counter[int] = Counter()
    for call in ok:
        chat = int(call["params"].get("chat_id", 0))
        done = call["at"] + call["duration"] - t0
        per_chat[chat] += 1
        if call["method"] == PHOTO:
            last_photo[chat] = max(last_photo.get(chat, 0.0), done)
    ends = [c["at"] + c["duration"] - t0 for c in ok]
    # at 30/s overall (burst 30) and 1/s per chat (burst 2), these calls cannot all be done sooner than this
    bound = max(max(0.0, (len(ok) - 30) / 30), max((n - 2 for n in per_chat.values()), default=0))
    photos = [c for c in ok if c["method"] == PHOTO]
    return {
        "leaders": len(leaders),
        "with_photo": len(set(last_photo) & leaders),
        "photos": len(photos),
        "messages": len(ok) - len(photos),
        "per_chat": (min(per_chat.values(), default=0), max(per_chat.values(), default=0)),
        "first_send_s": min((c["at"] - t0 for c in ok), default=math.nan),
        "every_photo_s": max(last_photo.values()) if set(last_photo) >= leaders else math.inf,
        "last_send_s": max(ends, default=math.nan),
        "bound_s": float(bound),
        "failed_calls": sum(1 for c in run["calls"] if c["status"] != 200),
        "photo_kib": statistics.median(
            [
                c["params"]["photo"]["size"] / 1024
                for c in photos
                if isinstance(c["params"].get("photo"), dict)
            ]
            or [math.nan]
        ),
    }


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def _s(value: float) -> str:
    return "∞" if value == math.inf else f"{value:.2f}"


def report(
    args: argparse.Namespace, argv: list[str], runs: list[dict[str, Any]], info: dict[str, Any]
) -> str:
    command = " ".join([".venv/bin/python -m benchmarks daily_digest", shlex.join(argv)]).strip()
    for run in runs:
        run["delivery"] = delivery(run)
    steps = list(dict.fromkeys(k for r in runs for k in r["seconds"] if k != "job"))
    counts = runs[0]["seeded"] if runs else {}
    lines = [
        f"## Daily digest (issue 12): {counts.get('units', 0) - 1 - -(-args.people // 100):,} teams, "
        f"{info['day']} {info['digest_at']} (a Monday), Telegram's real limits "
        f"({info['date']:%Y-%m-%d %H:%M} UTC)",
        "",
        *([f"**{args.note}**", ""] if args.note else []),
        f"- command: `{command}` ({info['total_s']:.0f} s in all); `make bench` runs every benchmark",
        f"- machine: {machine()}",
        f"- code: {code_line(str(ROOT))}",
        "- org per run (fresh database, bulk inserts, benchmarks/_export_seed.py): a branch with 2 managers, "
        f"{-(-args.people // 100)} projects with a safety officer and a project manager each, teams of 10 "
        f"(a leader each): {counts.get('people', 0):,} people; 14 days of history to the digest day: "
        + ", ".join(f"{k} {counts.get(k, 0):,}" for k in ("rounds", "checkins", "obligations", "reports"))
        + f", card recipients {counts.get('card_recipients', 0):,}; the "
        f"{len(runs[0]['leaders']) if runs else 0} safety officers and managers bound to sandbox users",
        f"- runtime: the bot's `Services` (clock 17:30:00 local, moving), the real `Dispatcher` and Telegram "
        f"channel in this process, started idle before the job and woken by it, send budget "
        f"{info['send_rate']:g}/s; sandbox (own process): 30/s overall (burst 30), 1/s per private chat "
        "(burst 2), Telegram's limits unscaled",
        "- steps as the job runs them: `due` (who, and their figures: reads), `render` (the charts, in a "
        "thread), `send_due` (the outbox rows), for the daily digest and Monday's weekly summary, then `run` "
        "itself (what is left: nothing when it writes 0 rows); every photo = job start → the sandbox "
        "recorded the last photo of the last leader; bound = the least time those calls need at 30/s and "
        "1/s a chat",
        "",
        "| db | run | " + " | ".join(f"{s} s" for s in steps) + " | job s | outbox rows | charts | "
        "first send s | every photo s | last send s | bound s | photos + messages | per chat | "
        "429 / failed | chart KiB | machine busy |",
        "| --- | --- | "
        + " | ".join("---" for _ in steps)
        + " | --- | --- | --- | --- | --- | --- | --- | --- | "
        "--- | --- | --- | --- |",
    ]
    for run in runs:
        d, rows = run["delivery"], run["rows"]
        written = sum(v for k, v in rows.items() if k.endswith(": rows"))
        charts = sum(v for k, v in rows.items() if k.endswith(": charts"))
        cells = " | ".join(f"{run['seconds'].get(s, math.nan):.3f}" for s in steps)
        lines.append(
            f"| {run['db']} | {run['run']} | {cells} | {run['seconds']['job']:.2f} | {written} | {charts} | "
            f"{_s(d['first_send_s'])} | {_s(d['every_photo_s'])} | {_s(d['last_send_s'])} | "
            f"{d['bound_s']:.0f} | "
            f"{d['photos']} + {d['messages']} | {d['per_chat'][0]}–{d['per_chat'][1]} | "
            f"{run['http_429']} / {d['failed_calls']} | {d['photo_kib']:.0f} | {run['machine_busy']:.0%} |"
        )
    lines += ["", *medians(runs, steps)]
    return "\n".join(lines) + "\n"


def medians(runs: list[dict[str, Any]], steps: list[str]) -> list[str]:
    by_db: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        by_db[run["db"]].append(run)
    lines = [
        "| db (medians of the runs) | job s | of it: render s | every leader has the photo s | "
        f"before the next housekeeping pass ({HOUSEKEEPING_S:.0f} s) | 429 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    notes, shares = [], []
    for db, found in by_db.items():
        job = _median([r["seconds"]["job"] for r in found])
        render = _median([sum(v for k, v in r["seconds"].items() if k.endswith("render")) for r in found])
        photo = _median([r["delivery"]["every_photo_s"] for r in found])
        limited = _median([float(r["http_429"]) for r in found])
        within = "yes" if photo < HOUSEKEEPING_S else "**no**"
        lines.append(f"| {db} | {job:.2f} | {render:.2f} | {_s(photo)} | {within} | {limited:.0f} |")
        after = _median([r["delivery"]["every_photo_s"] - r["seconds"]["job"] for r in found])
        bound = _median([r["delivery"]["bound_s"] for r in found])
        shares.append(
            f"{db}: the charts took {render:.1f} s of the job's {job:.1f} s; the last photo came "
            f"{_s(after)} s after the job ended (Telegram's limits alone need ≥ {bound:.0f} s for them)"
        )
        missing = [r for r in found if r["delivery"]["with_photo"] < r["delivery"]["leaders"]]
        if missing:
            notes.append(f"{db}: {len(missing)} runs where a leader had no photo")
    reading = "**Reading.** " + (
        "Every leader had their digest photo in every run." if not notes else "; ".join(notes) + "."
    )
    reading += " Medians: " + "; ".join(shares) + "."
    return [*lines, "", reading]
