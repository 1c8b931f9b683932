"""The morning benchmark's section of RESULTS.md: the goals per database (medians of the runs), then every
run, ours and the echo bot side by side, and how each fan-out went."""

from __future__ import annotations

import argparse
import math
import statistics
from typing import Any

from benchmarks._common import machine
from benchmarks._morning_figures import GOALS, LIMIT, PAUSE, SLOW_ACK_MS, SLOW_REPLY_MS, met

GOAL_LABELS = {
    "ack_ratio": ("press → answerCallbackQuery p99 ÷ the echo bot's", "≤ 2×"),
    "receipt_ratio": ("press → receipt p99 ÷ the echo bot's reply p99", "≤ 3×"),
    "bulk_share": ("all sends while round-open messages were pending ÷ 30/s", "≥ 0.95"),
    "http_429": ("429 answers to our bot", "0"),
    "first_checklist_s": ("first checklist after `opens`", "≤ 1 s"),
}


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else "∞" if math.isinf(value) else f"{value:.0f}"


def _x(value: float, digits: int = 1) -> str:
    return "∞" if math.isinf(value) else f"{value:.{digits}f}"


def _median(runs: list[dict[str, Any]], who: str, key: str) -> float:
    values = [r[who][key] for r in runs if not math.isnan(r[who][key])]
    return statistics.median(values) if values else math.nan


def _goal_cell(name: str, runs: list[dict[str, Any]]) -> str:
    values = [r["goals"][name] for r in runs if not math.isnan(r["goals"][name])]
    if not values:
        return "not measured"
    value, target = statistics.median(values), GOALS[name][0]
    each = ", ".join(_x(v, 2) if name != "http_429" else f"{v:.0f}" for v in values)
    verdict = "met" if met(name, value) else "**missed**"
    if name in ("ack_ratio", "receipt_ratio"):
        key, count = ("ack_p99_ms", "acks") if name == "ack_ratio" else ("reply_p99_ms", "replies")
        ours, echo = _median(runs, "ours", key), _median(runs, "echo", key)
        text = f"{verdict}: {_x(value)}× (median p99s: ours {_ms(ours)} ms, echo {_ms(echo)} ms)"
        by = f"; {_x(value / target)}× the goal: p99 ≤ {target * echo:.0f} ms needed"
        lost = [r["ours"]["presses"] - r["ours"]["press_failures"] - r["ours"][count] for r in runs]
        if any(lost):  # counted as never (∞) in the p99
            what = "receipts" if name == "receipt_ratio" else "acks"
            text += f"; {what} that never came (∞): {', '.join(map(str, lost))}"
    elif name == "bulk_share":
        text = f"{verdict}: {value:.2f} ({LIMIT * value:.1f}/s)"
        by = f"; {target - value:.2f} short ({LIMIT * (target - value):.1f} sends/s)"
    elif name == "http_429":
        text, by = f"{verdict}: {value:.0f}", ""
    else:
        text, by = f"{verdict}: {value:.2f} s", f"; {value - target:.2f} s late"
    spread = f" (runs: {each})" if len(values) > 1 else ""
    return text + ("" if met(name, value) else by) + spread


def short(run: dict[str, Any]) -> str:
    o, e, g = run["ours"], run["echo"], run["goals"]
    return (
        f"ack p99 {_ms(o['ack_p99_ms'])} vs echo {_ms(e['ack_p99_ms'])} ms ({_x(g['ack_ratio'])}×), "
        f"receipt p99 {_ms(o['reply_p99_ms'])} vs echo reply {_ms(e['reply_p99_ms'])} ms "
        f"({_x(g['receipt_ratio'])}×), sends while bulk pending {g['bulk_share']:.2f} of 30/s, "
        f"429s {o['http_429']}, first checklist {g['first_checklist_s']:.2f} s after opens, "
        f"presses {o['presses']} over {o.get('press_span_s', 0):.1f} s, "
        f"replies {o['replies']}/{e['replies']}, ended: {run['end']}"
    )


def _bot_row(run: dict[str, Any], who: str) -> str:
    r = run[who]
    errors = r["press_failures"] + r["missing_replies"] + r.get("logged_errors", 0)
    slow = f"{r['slow_acks'][0]} ({r['slow_acks'][1]}) / {r['slow_replies'][0]} ({r['slow_replies'][1]})"
    return (
        f"| {run['db']} | {run['run']} | {who} | {r['presses']} | {_ms(r['ack_p50_ms'])} | "
        f"{_ms(r['ack_p99_ms'])} | {_ms(r['reply_p50_ms'])} | {_ms(r['reply_p99_ms'])} | "
        f"{_ms(r['reply_max_ms'])} | {_ms(r['fetched_p50_ms'])} / {_ms(r['fetched_p99_ms'])} | {slow} | "
        f"{r['replies']} | {errors} | {r.get('other_sends', 0)} | {r['failed_calls']} | {r['http_429']} | "
        f"{r['cpu_ms_per_member']:.1f} |"
    )


def _fanout_row(run: dict[str, Any]) -> str:
    o = run["ours"]
    limited = ", ".join(f"{m} {n}" for m, n in sorted(o["limited_by_method"].items())) or "-"
    return (
        f"| {run['db']} | {run['run']} | {run['opens_after_up_s']:.2f} | {o['first_checklist_s']:.2f} | "
        f"{o['checklists']} ({o['duplicate_checklists']}) | {o['fanout_s']:.1f} | "
        f"{o['bulk_sends_per_s']:.1f} = {o['bulk_checklists_per_s']:.1f} + {o['bulk_receipts_per_s']:.1f} + "
        f"{o['bulk_other_per_s']:.1f} | {o['bulk_429_per_s']:.1f} | {limited} | {o['receipts_after_429']} | "
        f"{o['first_press_after_opens_s']:.1f} + {o['press_span_s']:.1f} | {o['sql_per_member']:.1f} | "
        f"{o['sandbox_cpu_ms_per_member']:.1f} / {run['echo']['sandbox_cpu_ms_per_member']:.1f} / "
        f"{run['generator_cpu_ms_per_member']:.1f} | {100 * run['machine_busy']:.0f} % | {run['end']} |"
    )


def _reading(by_db: dict[str, list[dict[str, Any]]]) -> str:
    parts = []
    for db, runs in by_db.items():
        medians = {k: statistics.median(r["goals"][k] for r in runs) for k in GOALS}
        held = [GOAL_LABELS[k][0] for k in GOALS if met(k, medians[k])]
        missed = [GOAL_LABELS[k][0] for k in GOALS if not met(k, medians[k])]
        parts.append(
            f"on {db} {len(held)} of {len(GOALS)} goals met"
            + (f" ({'; '.join(held)})" if held else "")
            + (f", missed: {'; '.join(missed)}" if missed else "")
        )
    every = [r for runs in by_db.values() for r in runs]
    spans = [r["ours"]["press_span_s"] for r in every]
    busy = [100 * r["machine_busy"] for r in every]
    echo = [r["echo"]["ack_p99_ms"] for r in every]
    return (
        "**Reading (medians).** "
        + "; ".join(parts)
        + f". The presses spanned {min(spans):.1f}–{max(spans):.1f} s: they follow the fan-out, which "
        "shares the one 30/s with the receipts. The machine's CPUs were "
        f"{min(busy):.0f}–{max(busy):.0f} % busy over the runs and the echo bot's ack p99 moved between "
        f"{min(echo):.0f} and {max(echo):.0f} ms with it."
    )


def report(
    args: argparse.Namespace, argv: list[str], runs: list[dict[str, Any]], info: dict[str, Any]
) -> str:
    shown = [a for a in argv if a != args.note]  # the note is printed below the title
    command = " ".join(
        [".venv/bin/python -m benchmarks morning", *(a if a != "--note" else "--note …" for a in shown)]
    )
    limits, scale = info["limits"], info["limits"]["scale"]
    by_db: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_db.setdefault(run["db"], []).append(run)
    interval = runs[0]["duty_interval_s"] if runs else None
    lines = [
        f"## Morning at Telegram's real limits: {args.members:,} staff, the round opens, every press "
        f"during the fan-out ({info['date']:%Y-%m-%d %H:%M} UTC)",
        "",
        *([f"**{args.note}**", ""] if args.note else []),
        f"- command: `{command}` ({info['total_s']:.0f} s in all, {len(runs)} mornings)",
        f"- machine: {machine()}",
        f"- set-up: {args.members:,} staff in {args.teams} teams (+ leaders, a safety officer, a manager: "
        f"{info['people']} people), all bound and cleared, in a fresh database for each morning; our bot's "
        f"clock is set so the check-in window (07:00, due 07:30) opens {args.lead:g} s after the bot is "
        "started; the bot opens the rounds itself (its duty job on the JobQueue"
        + (f", every {interval:g} s" if interval else "")
        + f"); the bot as built: {info['bot']}",
        f"- sandboxes (own processes, one per bot): overall {limits['overall_per_second'] * scale:g}/s "
        f"(burst {limits['overall_burst'] * scale:g}), private chat "
        f"{limits['private_per_second'] * scale:g}/s (burst {limits['private_burst'] * scale:g}), "
        f"group {limits['group_per_minute'] * scale:g}/min: Telegram's, not scaled",
        "- members (load generator, own process): each presses 「全部正常」 a reaction delay after our "
        f"checklist reached their chat, uniform {args.delay.replace(',', '–')} s (seed {args.seed}), in our "
        "sandbox and, at the same moment, in the echo bot's; the echo bot (own process: "
        "answerCallbackQuery, then one sendMessage) handed its 「全部正常」 buttons out before the "
        "first morning, unmeasured, and has no bulk",
        "- ack = press → the sandbox has recorded the bot's answerCallbackQuery; receipt = press → "
        "recorded our edit of the checklist into 「✅ 已确认…」 (the echo's: its sendMessage); both "
        "CLOCK_MONOTONIC. Sends while bulk is pending = every successful counted call (sendMessage, "
        "edit*) from the first to the last round-open send, per second; first checklist = the first "
        "round-open send recorded, after the moment the bot's clock passed 07:00",
        "",
        "| goal | target | " + " | ".join(by_db) + " |",
        "| --- | --- | " + " | ".join("---" for _ in by_db) + " |",
    ]
    for name, (label, target) in GOAL_LABELS.items():
        lines.append(
            f"| {label} | {target} | " + " | ".join(_goal_cell(name, r) for r in by_db.values()) + " |"
        )
    lines += [
        "",
        "| db | run | bot | presses | ack p50 ms | ack p99 ms | receipt/reply p50 ms | p99 ms | max ms | "
        "update fetched p50 / p99 ms | slow acks / replies (after a 429) | replies | errors | other sends | "
        "failed calls | 429s | bot CPU ms/member |",
        "|" + " --- |" * 17,
        *(row for run in runs for row in (_bot_row(run, "ours"), _bot_row(run, "echo"))),
        "",
        f"errors = failed presses + missing replies + errors the bot logged; slow = acks over "
        f"{SLOW_ACK_MS:.0f} ms / replies over {SLOW_REPLY_MS:.0f} ms, in brackets those recorded "
        f"{PAUSE[0]:g}–{PAUSE[1]:g} s after a call answered 429 (what a 1 s retry_after + 0.1 s pause "
        "looks like); other sends = successful sends that were neither a checklist nor a receipt; failed "
        "calls = Bot API calls not answered 200 (429s included); update fetched = press → end of the first "
        "getUpdates after it; CPU per member = the bot process's CPU over the whole morning (ours: fan-out "
        "and press; echo: the press) ÷ members.",
        "",
        "| db | run | `opens` after bot up s | first checklist s | checklists (dup.) | fan-out s | "
        "sends/s while pending = checklists + receipts + other | 429/s | 429 by method | receipts 429'd "
        "first | presses: start after `opens` + span s | SQL/member | CPU ms/member: sandbox ours / echo / "
        "generator | machine busy | ended |",
        "|" + " --- |" * 15,
        *(_fanout_row(run) for run in runs),
        "",
        _reading(by_db),
        "",
        "The ×10 capacity runs (overall limit scaled, presses after the fan-out) stay in the `rush` "
        "sections.",
    ]
    if any(r["ours"]["first_error"] for r in runs):
        first = next(r["ours"]["first_error"] for r in runs if r["ours"]["first_error"])
        lines += ["", f"First error our bot logged: `{first}`"]
    return "\n".join(lines) + "\n"
