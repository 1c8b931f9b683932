"""Scheduled duty work on the JobQueue (APScheduler): opening rounds, the escalation tick, housekeeping.

- Rounds open within about a second of `opens`: a job four times a second looks at the units' schedules kept
  in memory (refreshed every minute, with the holiday calendar) and goes to the database only when a unit's
  window has opened and its round is not there yet; then the dispatchers are woken at once.
- The escalation tick runs every `tick_seconds`; on PostgreSQL only one process ticks at a time (a
  transaction-scoped advisory lock), on SQLite the tick's transaction holds the write lock.
- Housekeeping every minute: quiz requirements (new hires, renewals), stale quiz attempts, idle flows,
  required inspections, the 回头看 re-checks of closed hazards.

Everything is idempotent and safe with several processes: rounds are unique per team and day, digests per
unit, kind, reference, topic and step, entries and recipients per digest, outbox rows per key.
"""

from __future__ import annotations

import logging
import random
import time
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.ext import Application, CallbackContext

from safety import clearance, escalation, flows, rounds
from safety.calendar import WorkCalendar
from safety.cards import calendar_notice, delivery
from safety.clearance import QuizRules
from safety.config import Defaults
from safety.daily_digest import send as daily_digest
from safety.inspections import requirements
from safety.reports import rechecks
from safety.rounds import OpenedRound, Schedule
from safety.shifts import duties as shift_duties
from storage import org_queries as oq
from storage.db import advisory_lock

logger = logging.getLogger(__name__)
TICK_SECONDS = 5.0  # a step fires within this (plus the tick's own time) of its due moment: well inside 15 s
ROUND_CHECK_SECONDS = 0.25  # a look at schedules in memory: microseconds, so often is cheap
REFRESH_SECONDS = 60.0
TICK_LOCK = "safetybot:escalation-tick"


class DutyRuntime(Protocol):
    defaults: Defaults
    quiz_rules: QuizRules
    calendar: WorkCalendar

    def now(self) -> datetime: ...

    def session(self, *, background: bool = False) -> AbstractAsyncContextManager[AsyncSession]: ...

    def reading(self) -> AbstractAsyncContextManager[AsyncSession]: ...

    def wake_dispatchers(self) -> None: ...


class RoundOpener:
    """Which teams' windows have opened today without a round yet, from schedules kept in memory."""

    def __init__(self) -> None:
        self.schedules: list[tuple[str, str | None, Schedule]] = []  # (unit, its time zone, schedule)
        self.opened: set[tuple[str, date]] = set()
        self.refreshed = -REFRESH_SECONDS

    async def refresh(self, runtime: DutyRuntime) -> None:
        async with runtime.reading() as session:
            units = await oq.all_units(session, active_only=True)
            await runtime.calendar.reload(session)  # imports run in another process
        self.schedules = [(u.id, u.timezone, s) for u in units if (s := Schedule.of(u)) is not None]
        self.refreshed = time.monotonic()

    def due(self, now: datetime, defaults: Defaults) -> bool:
        """Whether some unit's window is open today and its round is not known to exist."""
        for unit_id, zone, schedule in self.schedules:
            local = now.astimezone(defaults.zone(zone))
            if (unit_id, local.date()) not in self.opened and local.time() >= schedule.opens:
                return True
        return False

    async def run(self, runtime: DutyRuntime) -> list[OpenedRound]:
        if time.monotonic() - self.refreshed >= REFRESH_SECONDS:
            await self.refresh(runtime)
        now = runtime.now()
        if not self.due(now, runtime.defaults):
            return []
        async with runtime.session(background=True) as session:
            opened, known = await rounds.open_due_rounds(
                session, now=now, calendar=runtime.calendar, defaults=runtime.defaults
            )
        self.opened |= known
        if opened:
            runtime.wake_dispatchers()
        for item in opened:
            logger.info(
                "opened round %s of %s for %s: %s sent, %s excused",
                item.round_id,
                item.unit_id,
                item.day,
                item.sent,
                item.excused,
            )
        return opened


async def tick(runtime: DutyRuntime) -> int:
    """One escalation pass (skipped while another process runs one). Returns the obligations moved."""
    now = runtime.now()
    async with runtime.session(background=True) as session:
        if not await advisory_lock(session, TICK_LOCK):
            return 0
        report = await escalation.tick(session, now=now, defaults=runtime.defaults)
    if report.escalated:
        runtime.wake_dispatchers()
        logger.info(
            "escalated %s obligations: %s digests, %s reminders",
            report.escalated,
            report.digests,
            report.reminders,
        )
    return report.escalated


async def housekeeping(runtime: DutyRuntime) -> None:
    now = runtime.now()
    async with runtime.session(background=True) as session:
        await clearance.ensure_requirements(session, now=now, rules=runtime.quiz_rules)
        await flows.expire_idle(session, now=now, defaults=runtime.defaults)
        await requirements.open_due(session, now=now, defaults=runtime.defaults)
        await rechecks.send_due(session, now=now, defaults=runtime.defaults)
        await calendar_notice.notify_missing_year(
            session, now=now, defaults=runtime.defaults, calendar=runtime.calendar
        )
        await delivery.send_due(session, now=now, defaults=runtime.defaults, calendar=runtime.calendar)
        await shift_duties.send_due(session, now=now, defaults=runtime.defaults)
    await daily_digest.run(runtime)  # after the transaction: the chart is drawn in a thread
    runtime.wake_dispatchers()


async def run_once(runtime: DutyRuntime, opener: RoundOpener | None = None) -> tuple[int, int]:
    """Everything once, now (tests, benchmarks): rounds, housekeeping, escalation; (opened, moved)."""
    opener = opener or RoundOpener()
    opener.refreshed = -REFRESH_SECONDS
    opened = await opener.run(runtime)
    await housekeeping(runtime)
    return len(opened), await tick(runtime)


def _guarded(name: str, work: Any) -> Any:
    async def job(context: CallbackContext[Any, Any, Any, Any]) -> None:
        try:
            await work(context.application.bot_data["services"])
        except Exception:  # the next run tries again; a failing job must not stop the schedule
            logger.exception("%s failed", name)

    return job


def schedule(
    app: Application[Any, Any, Any, Any, Any, Any],
    *,
    tick_seconds: float = TICK_SECONDS,
    round_seconds: float = ROUND_CHECK_SECONDS,
) -> None:
    assert app.job_queue is not None
    opener = RoundOpener()
    app.bot_data["round_opener"] = opener
    kwargs = {"misfire_grace_time": 600, "coalesce": True, "max_instances": 1, "replace_existing": True}
    jobs = (
        ("rounds", opener.run, round_seconds, round_seconds),
        ("escalation", tick, tick_seconds, tick_seconds),
        ("housekeeping", housekeeping, REFRESH_SECONDS, random.uniform(1.0, 5.0)),
    )
    for name, work, interval, first in jobs:
        app.job_queue.run_repeating(
            _guarded(name, work), interval=interval, first=first, name=name, job_kwargs={"id": name, **kwargs}
        )
