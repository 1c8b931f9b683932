"""The morning's figures, from the sandboxes' request logs and the load generator's record of each press.

Every time is CLOCK_MONOTONIC (time.monotonic) on this machine: the sandboxes record a call's arrival (`at`)
and its handling time (`duration`); "recorded" below is at + duration. The generator records, per member,
when it saw our checklist and when it sent each press. A press whose answer never came counts as infinitely
slow in the percentiles (p99 is ∞ when more than 1 % are missing).
"""

from __future__ import annotations

import bisect
import json
import math
from collections import Counter
from typing import Any

from benchmarks._common import percentile

SENDING = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)  # the calls the sandbox counts against the limits (bot.sandbox.limits.SENDING_METHODS)
ALL_FINE = "全部正常"
CONFIRMED = "✅ 已确认"
ECHO_REPLY = "✅ 已确认（echo）"
LIMIT = 30.0  # Telegram's overall limit, calls a second
SLOW_ACK_MS, SLOW_REPLY_MS = 300.0, 1000.0
PAUSE = (0.9, 1.6)  # seconds after a 429 in which a call held by a 1.1 s pause ends
GOALS = {  # name: (target, higher is better)
    "ack_ratio": (2.0, False),
    "receipt_ratio": (3.0, False),
    "bulk_share": (0.95, True),
    "http_429": (0.0, False),
    "first_checklist_s": (1.0, False),
}


def _end(call: dict[str, Any]) -> float:
    return float(call["at"]) + float(call["duration"])


def _chat(call: dict[str, Any]) -> int | None:
    value = call["params"].get("chat_id")
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def is_checklist(call: dict[str, Any]) -> bool:
    """A round-open message: a sendMessage carrying a 「全部正常」 button."""
    markup = call["params"].get("reply_markup")
    return call["method"] == "sendMessage" and ALL_FINE in json.dumps(markup, ensure_ascii=False)


def _text(call: dict[str, Any]) -> str:
    return str(call["params"].get("text", ""))


def _pcts(values: list[float], prefix: str) -> dict[str, float]:
    return {
        f"{prefix}_p50_ms": percentile(values, 50),
        f"{prefix}_p99_ms": percentile(values, 99),
        f"{prefix}_max_ms": max(values, default=float("nan")),
    }


def _fetched(calls: list[dict[str, Any]], sent: list[float]) -> list[float]:
    """ms from each press to the end of the first getUpdates that ended after it (≈ the bot has it)."""
    ends = sorted(_end(c) for c in calls if c["method"] == "getUpdates" and c["status"] == 200)
    out = []
    for t in sent:
        i = bisect.bisect_left(ends, t)
        if i < len(ends):
            out.append(1000 * (ends[i] - t))
    return out


def _after_429(calls: list[dict[str, Any]], pairs: list[tuple[float, float]], slow_ms: float) -> list[int]:
    """Of the (sent, recorded) pairs slower than `slow_ms`: [how many, how many recorded 0.9–1.6 s after
    a call answered 429]: what a pause of retry_after (1 s) + 0.1 s after a 429 looks like."""
    limited = sorted(_end(c) for c in calls if c["status"] == 429)
    slow = [end for sent, end in pairs if 1000 * (end - sent) > slow_ms]
    held = 0
    for end in slow:
        i = bisect.bisect_left(limited, end - PAUSE[1])
        held += i < len(limited) and limited[i] <= end - PAUSE[0]
    return [len(slow), held]


def _common(calls: list[dict[str, Any]], presses: list[dict[str, Any]], replies: dict[int, float]) -> dict:
    """Ack and reply latencies, missing replies, failed calls: the same reading for both bots."""
    acks: dict[str, float] = {}
    for call in calls:
        if call["method"] == "answerCallbackQuery" and call["status"] == 200:
            acks.setdefault(str(call["params"].get("callback_query_id")), _end(call))
    ok = [p for p in presses if p["status"] == 200]
    ack_ms = [1000 * (acks[p["query_id"]] - p["sent"]) for p in ok if p["query_id"] in acks]
    reply_ms = [1000 * (replies[p["chat"]] - p["sent"]) for p in ok if p["chat"] in replies]
    sent = [p["sent"] for p in ok]
    ack_pairs = [(p["sent"], acks[p["query_id"]]) for p in ok if p["query_id"] in acks]
    reply_pairs = [(p["sent"], replies[p["chat"]]) for p in ok if p["chat"] in replies]
    acked, replied = len(ack_ms), len(reply_ms)
    never = [math.inf]  # an answer that never came counts as slower than any that did
    return {
        "slow_acks": _after_429(calls, ack_pairs, SLOW_ACK_MS),
        "slow_replies": _after_429(calls, reply_pairs, SLOW_REPLY_MS),
        "presses": len(presses),
        "press_failures": len(presses) - len(ok),
        "acks": acked,
        "replies": replied,
        "missing_replies": len(ok) - replied,
        **_pcts(ack_ms + never * (len(ok) - acked), "ack"),
        **_pcts(reply_ms + never * (len(ok) - replied), "reply"),
        **_pcts(_fetched(calls, sent), "fetched"),
        "failed_calls": sum(1 for c in calls if c["method"] != "getUpdates" and c["status"] != 200),
    }


def ours(
    calls: list[dict[str, Any]], members: list[dict[str, Any]], *, opens: float, http_429: int
) -> dict[str, Any]:
    """Our bot: the fan-out, the receipts, the send rate while round-open messages were pending."""
    presses = [m["ours"] | {"chat": m["chat"]} for m in members if "ours" in m]
    pressed_at = {p["chat"]: p["sent"] for p in presses}
    opens_sent = [c for c in calls if c["status"] == 200 and is_checklist(c)]
    per_chat = Counter(_chat(c) for c in opens_sent)
    receipts: dict[int, float] = {}
    receipt_methods: Counter[str] = Counter()
    limited_first: set[int] = set()
    others = 0
    for call in sorted(calls, key=_end):
        chat = _chat(call)
        if call["method"] not in SENDING or chat is None:
            continue
        answer = _text(call).startswith(CONFIRMED) and chat in pressed_at
        if call["status"] == 429 and answer and chat not in receipts:
            limited_first.add(chat)
        if call["status"] != 200 or is_checklist(call):
            continue
        if answer and chat not in receipts and _end(call) >= pressed_at[chat]:
            receipts[chat] = _end(call)
            receipt_methods[call["method"]] += 1
        else:
            others += 1
    out: dict[str, Any] = _common(calls, presses, receipts)
    out |= {
        "checklists": len(per_chat),
        "duplicate_checklists": sum(n - 1 for n in per_chat.values()),
        "other_sends": others,
        "receipt_methods": dict(receipt_methods),
        "receipts_after_429": len(limited_first),
        "http_429": http_429,
        "limited_by_method": Counter(c["method"] for c in calls if c["status"] == 429),
    }
    if opens_sent:
        first, last = min(opens_sent, key=_end), max(opens_sent, key=_end)
        t1, t2 = float(first["at"]), float(last["at"])
        window = [c for c in calls if c["method"] in SENDING and c["status"] == 200 and t1 <= c["at"] <= t2]
        span = max(t2 - t1, 1e-9)
        bulk = sum(1 for c in window if is_checklist(c))
        answers = sum(1 for c in window if _text(c).startswith(CONFIRMED))
        out |= {
            "first_checklist_s": _end(first) - opens,
            "fanout_s": t2 - t1,
            "bulk_sends_per_s": (len(window) - 1) / span,
            "bulk_share": (len(window) - 1) / span / LIMIT,
            "bulk_checklists_per_s": bulk / span,
            "bulk_receipts_per_s": answers / span,
            "bulk_other_per_s": (len(window) - bulk - answers) / span,
            "bulk_429_per_s": sum(1 for c in calls if c["status"] == 429 and t1 <= c["at"] <= t2) / span,
        }
    else:
        out |= {"first_checklist_s": float("nan"), "fanout_s": float("nan"), "bulk_share": float("nan")}
    if presses:
        sent = [p["sent"] for p in presses]
        out |= {
            "first_press_after_opens_s": min(sent) - opens,
            "press_span_s": max(sent) - min(sent),
            "reaction_p50_s": percentile([m["scheduled"] - m["seen"] for m in members if "ours" in m], 50),
            "generator_lag_max_ms": max(
                1000 * (m["ours"]["sent"] - m["scheduled"]) for m in members if "ours" in m
            ),
        }
    seen = {c: _end(x) for x in opens_sent if (c := _chat(x)) is not None}
    lag = [1000 * (m["seen"] - seen[m["chat"]]) for m in members if m["chat"] in seen]
    out["seen_lag_p99_ms"] = percentile(lag, 99)  # the generator's event watch behind the sandbox
    return out


def echo(calls: list[dict[str, Any]], members: list[dict[str, Any]], *, http_429: int) -> dict[str, Any]:
    presses = [m["echo"] | {"chat": m["chat"]} for m in members if "echo" in m]
    pressed_at = {p["chat"]: p["sent"] for p in presses}
    replies: dict[int, float] = {}
    for call in sorted(calls, key=_end):
        chat = _chat(call)
        if call["method"] != "sendMessage" or call["status"] != 200 or _text(call) != ECHO_REPLY:
            continue
        if chat is not None and chat in pressed_at and chat not in replies and _end(call) >= pressed_at[chat]:
            replies[chat] = _end(call)
    return _common(calls, presses, replies) | {"http_429": http_429}


def goals(o: dict[str, Any], e: dict[str, Any]) -> dict[str, float]:
    return {
        "ack_ratio": o["ack_p99_ms"] / e["ack_p99_ms"],
        "receipt_ratio": o["reply_p99_ms"] / e["reply_p99_ms"],
        "bulk_share": o["bulk_share"],
        "http_429": float(o["http_429"]),
        "first_checklist_s": o["first_checklist_s"],
    }


def met(name: str, value: float) -> bool:
    target, higher = GOALS[name]
    return value >= target if higher else value <= target
