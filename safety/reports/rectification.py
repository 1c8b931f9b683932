"""Rectification (整改) of a report: 指派 (assign), 整改完成 (submit), 通过 (accept, 销号) and 驳回 (reject).

Who may is safety/reports/rectification_rights.py, checked again here inside the transaction. Every change
is a compare-and-set on the report's version (`storage.report_queries.transition`): of two people acting at
once one wins, the other gets `rectify.changed`. A refusal (`RectifyRefused`) is raised before anything is
written. What each transition tells whom: safety/reports/rectification_notices.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.access import Actor
from safety.config import Defaults
from safety.reports import duties
from safety.reports import rectification_notices as notices
from safety.reports.create import Photo
from safety.reports.rectification_rights import (
    REASON_LIMIT,
    RectifyRefused,
    ReportRules,
    assignable,
    candidate,
    checked_deadline,
    checked_text,
    submittable,
    today_of,
    verifiable,
    verifiers,
)
from safety.reports.rules import MAX_PHOTOS, MEASURES_LIMIT, NOTE_LIMIT, Kind, State
from storage import report_queries as rq
from storage.models import Report, ReportEvent, ReportPhoto

__all__ = ["RectifyRefused", "ReportRules", "accept", "assign", "reject", "submit"]


# -- transitions ---------------------------------------------------------------------------------------------


async def _move(
    session: AsyncSession, report: Report, *, version: int, states: Sequence[str], **values: object
) -> Report:
    assert report.id is not None
    if not await rq.transition(
        session, report_id=report.id, version=version, states=states, values=dict(values)
    ):
        raise RectifyRefused("rectify.changed")
    await session.refresh(report)
    return report


async def assign(
    session: AsyncSession,
    *,
    report_id: int,
    version: int,
    actor: Actor,
    responsible_id: int,
    deadline: date,
    measures: str,
    now: datetime,
    defaults: Defaults,
    data_dir: Path,
) -> Report:
    """reported (or assigned: re-assignment) → assigned, with the 五定 and the 整改通知单 PDF sent to the
    responsible person with 整改完成."""
    report = await assignable(session, report_id=report_id, version=version, actor=actor)
    person = await candidate(session, report, responsible_id)
    if person is None or person.id is None:
        raise RectifyRefused("rectify.responsible_not_allowed")
    checked_deadline(deadline, await today_of(session, report, now=now, defaults=defaults))
    measures = checked_text(
        measures, limit=MEASURES_LIMIT, blank="rectify.measures_blank", too_long="rectify.measures_too_long"
    )
    earlier = [e for e in await rq.events_of(session, report_id=report_id) if e.action == "assigned"]
    path = notices.pdf_path(report.number, len(earlier) + 1)
    report = await _move(
        session,
        report,
        version=version,
        states=(State.REPORTED, State.ASSIGNED),
        state=State.ASSIGNED,
        responsible_id=person.id,
        deadline=deadline,
        measures=measures,
        assigned_by=actor.person_id,
        assigned_at=now,
        notice_path=path,
    )
    await notices.write_pdf(
        session, report, person=person, issuer=actor.name, now=now, defaults=defaults, data_dir=data_dir
    )
    detail = {"responsible": person.id, "deadline": deadline.isoformat(), "measures": measures, "pdf": path}
    session.add(
        ReportEvent(report_id=report_id, action="assigned", actor_id=actor.person_id, detail=detail, at=now)
    )
    await notices.task(session, report, person=person, issuer=actor.name, now=now, defaults=defaults)
    await duties.on_assigned(session, report, now=now, defaults=defaults)
    return report


async def submit(
    session: AsyncSession,
    *,
    report_id: int,
    version: int,
    actor: Actor,
    photos: Sequence[Photo],
    note: str | None,
    now: datetime,
    defaults: Defaults,
) -> Report:
    """assigned → submitted by the responsible person, with proof photos (at least one) and a note; the
    verifier gets 通过 / 驳回."""
    report = await submittable(session, report_id=report_id, version=version, actor=actor)
    if not photos:
        raise RectifyRefused("rectify.photo_needed")
    if len(photos) > MAX_PHOTOS:
        raise RectifyRefused("rectify.too_many_photos")
    if note is not None:
        note = checked_text(
            note, limit=NOTE_LIMIT, blank="rectify.note_blank", too_long="rectify.note_too_long"
        )
    report = await _move(
        session, report, version=version, states=(State.ASSIGNED,), state=State.SUBMITTED, submitted_at=now
    )
    for photo in photos:
        session.add(
            ReportPhoto(
                report_id=report_id,
                stage="submission",
                file_id=photo.file_id,
                sha256=photo.sha256,
                path=photo.path,
                size=photo.size,
                created_at=now,
            )
        )
    detail = {"photos": [p.sha256 for p in photos]}
    session.add(
        ReportEvent(
            report_id=report_id,
            action="submitted",
            actor_id=actor.person_id,
            note=note,
            detail=detail,
            at=now,
        )
    )
    await session.flush()
    await duties.on_submitted(session, report, now=now, actor_id=actor.person_id)
    to = await verifiers(session, report, preferred=report.assigned_by)
    await notices.to_verify(
        session, report, to=to, photos=photos, note=note, by=actor.name, now=now, defaults=defaults
    )
    return report


async def accept(
    session: AsyncSession,
    *,
    report_id: int,
    version: int,
    actor: Actor,
    now: datetime,
    defaults: Defaults,
    rules: ReportRules,
) -> Report:
    """submitted → closed (销号); a hazard is re-checked `rules.recheck_days` later (回头看)."""
    report = await verifiable(session, report_id=report_id, version=version, actor=actor)
    recheck = now + timedelta(days=rules.recheck_days) if report.kind == Kind.HAZARD else None
    report = await _move(
        session,
        report,
        version=version,
        states=(State.SUBMITTED,),
        state=State.CLOSED,
        closed_by=actor.person_id,
        closed_at=now,
        recheck_due_at=recheck,
        rechecked_at=None,
    )
    detail = {"recheck_due_at": recheck.isoformat() if recheck else None}
    session.add(
        ReportEvent(report_id=report_id, action="closed", actor_id=actor.person_id, detail=detail, at=now)
    )
    await duties.on_closed(session, report, now=now, actor_id=actor.person_id)
    await notices.closed(session, report, by=actor.name, now=now, defaults=defaults)
    return report


async def reject(
    session: AsyncSession,
    *,
    report_id: int,
    version: int,
    actor: Actor,
    reason: str,
    now: datetime,
    defaults: Defaults,
) -> Report:
    """submitted → assigned (驳回) with the reason; the responsible person gets it and 整改完成 again."""
    report = await verifiable(session, report_id=report_id, version=version, actor=actor)
    reason = checked_text(
        reason, limit=REASON_LIMIT, blank="rectify.reason_blank", too_long="rectify.reason_too_long"
    )
    report = await _move(
        session, report, version=version, states=(State.SUBMITTED,), state=State.ASSIGNED, submitted_at=None
    )
    session.add(
        ReportEvent(report_id=report_id, action="rejected", actor_id=actor.person_id, note=reason, at=now)
    )
    await duties.on_rejected(session, report, now=now, defaults=defaults)
    await notices.rejected(session, report, reason=reason, by=actor.name, now=now, defaults=defaults)
    return report
