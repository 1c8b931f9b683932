"""Scheduled duty work: opening today's rounds and the escalation tick (APScheduler through the JobQueue).

Both are idempotent and safe to run in several processes: rounds are unique per team and day, digests per
unit, kind, reference and step, and outbox rows per key. The scheduler only wakes them.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, CallbackContext

from handlers.context import Services
from safety import clearance, escalation, rounds

logger = logging.getLogger(__name__)
TICK_SECONDS = 5.0  # a step fires within this (plus the tick's own time) of its due moment: well inside 15 s


async def run_once(services: Services) -> tuple[int, int]:
    """One pass: rounds, quiz requirements, escalation. Returns (rounds opened, obligations moved)."""
    now = services.clock()
    async with services.database.session() as session:
        calendar = services.calendar
        await calendar.reload(session)  # imports run in another process; one instance warns once a year
        opened = await rounds.open_due_rounds(
            session,
            now=now,
            calendar=calendar,
            default_timezone=services.timezone,
            default_language=services.default_language,
        )
    for item in opened:
        logger.info(
            "opened round %s of %s for %s: %s sent, %s excused",
            item.round_id,
            item.unit_id,
            item.day,
            item.sent,
            item.excused,
        )
    async with services.database.session() as session:
        await clearance.ensure_requirements(session, now=now, rules=services.quiz_rules)
    async with services.database.session() as session:
        report = await escalation.tick(
            session, now=now, default_language=services.default_language, default_timezone=services.timezone
        )
    if report.escalated:
        logger.info(
            "escalated %s obligations: %s digests, %s reminders",
            report.escalated,
            report.digests,
            report.reminders,
        )
    return len(opened), report.escalated


async def _tick(context: CallbackContext[Any, Any, Any, Any]) -> None:
    services = context.application.bot_data["services"]
    try:
        await run_once(services)
    except Exception:  # the next tick tries again; a failing tick must not stop the schedule
        logger.exception("duty tick failed")


def schedule(app: Application[Any, Any, Any, Any, Any, Any], seconds: float = TICK_SECONDS) -> None:
    assert app.job_queue is not None
    app.job_queue.run_repeating(
        _tick,
        interval=seconds,
        first=seconds,
        name="duty",
        job_kwargs={
            "id": "duty",
            "replace_existing": True,
            "misfire_grace_time": 600,
            "coalesce": True,
            "max_instances": 1,
        },
    )
