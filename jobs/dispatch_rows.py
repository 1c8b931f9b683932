"""From claimed outbox rows to send jobs, and what each outcome writes back (inside the caller's session).

Decided without network I/O, in the claim transaction: who receives a row (a person's bound chat or a
group chat), rows that cannot be sent (unbound, inactive, unreachable, an edit of a failed message) and
edits made stale by a newer edit of the same message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.delivery import Recipient
from safety.outbox import Envelope, enqueue
from safety.views import Text, View
from storage import org_queries
from storage import outbox_queries as oq
from storage.models import OutboxMessage, Person
from storage.outbox_queries import PersonTarget

logger = logging.getLogger(__name__)
MAX_EDIT_CHAIN = 5


@dataclass
class Job:
    """One claimed row on its way out. `recipient` is None for an edit whose target is not sent yet."""

    row_id: int
    key: str
    view: View
    attempts: int
    claimed_at: datetime
    person_id: int | None
    recipient: Recipient | None = None
    edit_of: str | None = None
    edit_message_id: int | None = None
    slot_at: float | None = None  # a booked send time for its chat (monotonic)
    waited: float = 0.0  # seconds spent waiting for an edit's target
    language: str = "zh-CN"  # the recipient's, once known

    @property
    def is_edit(self) -> bool:
        return self.edit_of is not None


@dataclass
class Prepared:
    ready: list[Job] = field(default_factory=list)
    waiting: list[Job] = field(default_factory=list)  # edits whose target is not sent yet
    failed: int = 0
    superseded: int = 0


def _is_group_chat(chat_id: str) -> bool:
    return chat_id.startswith("-")


def _job(row: OutboxMessage) -> Job:
    assert row.id is not None and row.claimed_at is not None
    return Job(
        row_id=row.id,
        key=row.key,
        view=View.from_payload(row.payload),
        attempts=row.attempts,
        claimed_at=row.claimed_at,
        person_id=row.person_id,
        edit_of=row.edit_of,
    )


async def _root_targets(session: AsyncSession, keys: set[str]) -> dict[str, OutboxMessage]:
    """Edit key -> the original message row (an edit of an edit edits the original)."""
    found: dict[str, OutboxMessage] = {}
    pending = {k: k for k in keys}  # asked key -> key to look up now
    for _ in range(MAX_EDIT_CHAIN):
        if not pending:
            break
        rows = await oq.rows_by_key(session, keys=pending.values())
        nxt: dict[str, str] = {}
        for asked, key in pending.items():
            row = rows.get(key)
            if row is None:
                continue
            if row.edit_of is None:
                found[asked] = row
            else:
                nxt[asked] = row.edit_of
        pending = nxt
    return found


async def prepare(
    session: AsyncSession, rows: list[OutboxMessage], *, channel: str, now: datetime, default_language: str
) -> Prepared:
    """Turn claimed rows into jobs; rows that cannot be sent are marked failed here, stale edits sent.
    A person's rows are rendered in their language, a group chat's in the default one."""
    out = Prepared()
    targets = await _root_targets(session, {r.edit_of for r in rows if r.edit_of})
    person_ids = {r.person_id for r in rows if r.person_id is not None and r.chat_id is None}
    people = await oq.person_targets(session, person_ids=person_ids, channel=channel)
    for row in rows:
        job = _job(row)
        problem: str | None = None
        target: PersonTarget | None = None
        if row.person_id is not None and row.chat_id is None:
            target = people.get(row.person_id)
            problem = _person_problem(target)
        elif row.chat_id is None and row.edit_of is None:
            problem = "no recipient"
        language = (target.person.language if target else None) or default_language
        if problem is None and row.edit_of is not None:
            if await oq.newer_edit_exists(session, row_id=job.row_id, edit_of=row.edit_of):
                note = "superseded by a newer edit"
                await oq.mark_sent(
                    session, row_id=job.row_id, now=now, chat_id=None, message_id=None, note=note
                )
                out.superseded += 1
                continue
            original = targets.get(row.edit_of)
            problem = "edit target unknown" if original is None else None
            if original is not None and not apply_target(job, original, language):
                if original.status == oq.FAILED:
                    problem = "edit target failed"
                else:
                    job.language = language
                    out.waiting.append(job)
                    continue
        if problem is not None:
            await oq.mark_failed(session, row_id=job.row_id, error=problem, count_attempt=False)
            out.failed += 1
            continue
        if job.recipient is None:
            if row.chat_id is not None:
                job.recipient = Recipient(
                    row.chat_id, is_group=_is_group_chat(row.chat_id), language=language
                )
            else:
                assert target is not None and target.chat_id is not None
                job.recipient = Recipient(target.chat_id, person_id=row.person_id, language=language)
        out.ready.append(job)
    return out


def _person_problem(target: PersonTarget | None) -> str | None:
    if target is None:
        return "no such person"
    if not target.person.active:
        return "inactive"
    if target.person.unreachable:
        return "unreachable"
    if target.chat_id is None:
        return "unbound"
    return None


def apply_target(job: Job, original: OutboxMessage, language: str) -> bool:
    """Point an edit at the sent message; False while the original is not sent (or never will be)."""
    if original.status != oq.SENT or original.sent_chat_id is None or original.sent_message_id is None:
        return False
    chat = original.sent_chat_id
    person = None if original.chat_id is not None else (job.person_id or original.person_id)
    job.recipient = Recipient(chat, person_id=person, is_group=_is_group_chat(chat), language=language)
    job.edit_message_id = original.sent_message_id
    return True


async def recheck_edits(session: AsyncSession, jobs: list[Job]) -> tuple[list[Job], list[Job], int]:
    """Waiting edits again: (ready now, still waiting, failed because their target failed or vanished)."""
    targets = await _root_targets(session, {j.edit_of for j in jobs if j.edit_of})
    ready, waiting, failed = [], [], 0
    for job in jobs:
        original = targets.get(job.edit_of or "")
        if original is not None and apply_target(job, original, job.language):
            ready.append(job)
        elif original is None or original.status == oq.FAILED:
            await oq.mark_failed(session, row_id=job.row_id, error="edit target failed", count_attempt=False)
            failed += 1
        else:
            waiting.append(job)
    return ready, waiting, failed


async def record_unreachable(
    session: AsyncSession, *, job: Job, error: str, now: datetime, defaults: Defaults
) -> int:
    """A 403: the row fails, the person is marked unreachable and, on that change only, their team
    leader(s) are told through the outbox in the same transaction. Returns the notices written."""
    await oq.mark_failed(session, row_id=job.row_id, error=f"unreachable: {error}")
    person_id = job.recipient.person_id if job.recipient else None
    if person_id is None or not await oq.mark_person_unreachable(session, person_id=person_id):
        return 0
    person = await session.get(Person, person_id)
    if person is None:
        return 0
    leaders = await org_queries.nearest_role_holders(session, unit_id=person.unit_id, role="team_leader")
    view = View((Text("delivery.unreachable_notice", name=person.name, employee_no=person.employee_no),))
    envelopes = [
        Envelope(
            key=f"unreachable:{person_id}:row:{job.row_id}:to:{leader.id}",
            kind="unreachable",
            person_id=leader.id,
            view=view,
        )
        for leader in leaders
        if leader.id != person_id and leader.active
    ]
    if not envelopes:
        logger.warning("person %s is unreachable and has no team leader to tell", person_id)
    return await enqueue(session, envelopes, now=now, default_channel=defaults.channel)
