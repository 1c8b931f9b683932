"""What each rectification step tells whom (outbox, in the caller's transaction, idempotent by key), the
button actions they carry, and the 整改通知单 PDF of an assignment.

Buttons (action codes routed by handlers/rectify.py); `<id>.<version>` is the report as it was when the
message was written, so a button of an earlier round is refused:
- `rd` 整改完成 on the responsible person's task: `<id>.<version>`;
- `rv` 通过 and `rj` 驳回 on the verifier's message: `<id>.<version>`;
- `rc` 回头看 answers: `<id>.<version>.ok` (确认未反弹) or `.re` (重新整改).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import outbox
from safety.config import Defaults
from safety.escalation import UnitTree
from safety.outbox import Envelope
from safety.reports import notice_pdf, routing
from safety.reports.create import Photo
from safety.reports.rules import ASSIGN
from safety.roles import Role
from safety.views import Action, Attachment, Line, Text, View
from storage import report_queries as rq
from storage.models import Person, Report, Unit

SUBMIT_DONE = "rd"  # 整改完成
ACCEPT = "rv"  # 通过
REJECT = "rj"  # 驳回
RECHECK = "rc"  # 回头看: 确认未反弹 / 重新整改
KIND = "report"


def button_arg(report: Report, *extra: str) -> str:
    return ".".join([str(report.id), str(report.version), *extra])


def pdf_path(number: str, assignment: int) -> str:
    return notice_pdf.relative_path(number, assignment)


async def _unit(session: AsyncSession, report: Report) -> Unit | None:
    return await session.get(Unit, report.unit_id)


async def _describe(
    session: AsyncSession, report: Report, *, defaults: Defaults, officer: bool
) -> list[Line]:
    unit = await _unit(session, report)
    reporter = await session.get(Person, report.reporter_id)
    zone = defaults.zone(unit.timezone if unit else None)
    return routing.describe(
        report,
        unit_name=unit.name if unit else report.unit_id,
        reporter=routing.reporter_for(report, reporter.name if reporter else "?", reader_is_officer=officer),
        location_name=await routing.location_name(session, report),
        when=report.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
    )


def _place(report: Report, location: str | None) -> str:
    if location or report.location_text:
        return str(location or report.location_text)
    if report.latitude is not None and report.longitude is not None:
        return f"{report.latitude:.5f}, {report.longitude:.5f}"
    return "-"


async def write_pdf(
    session: AsyncSession,
    report: Report,
    *,
    person: Person,
    issuer: str,
    now: datetime,
    defaults: Defaults,
    data_dir: Path,
) -> Path:
    """The 整改通知单 at report.notice_path, in the responsible person's language."""
    assert report.id is not None and report.notice_path and report.deadline and report.measures
    unit = await _unit(session, report)
    photos = await rq.photos_of(session, report_id=report.id, stage="report")
    # fpdf2 parses and subsets the CJK font (~0.8 s): off the event loop, so other people's updates go on
    return await asyncio.to_thread(
        notice_pdf.render_notice,
        data_dir / report.notice_path,
        number=report.number,
        unit=unit.name if unit else report.unit_id,
        location=_place(report, await routing.location_name(session, report)),
        description=report.description,
        photos=[data_dir / p.path for p in photos if p.path],
        responsible=f"{person.name}（{person.employee_no}）",
        deadline=report.deadline,
        measures=report.measures,
        issuer=issuer,
        date=defaults.today(now, unit.timezone if unit else None),
        language=person.language or defaults.language,
    )


def _task_lines(report: Report, *, issuer: str) -> list[Line]:
    return [
        Text("rectify.line_deadline", deadline=report.deadline.isoformat() if report.deadline else "-"),
        Text("rectify.line_measures", measures=report.measures or ""),
        Text("rectify.line_issuer", issuer=issuer),
    ]


def _done_button(report: Report) -> tuple[tuple[Action, ...], ...]:
    return ((Action(Text("rectify.done_button"), SUBMIT_DONE, button_arg(report)),),)


async def _send(
    session: AsyncSession, envelopes: list[Envelope], *, now: datetime, defaults: Defaults
) -> int:
    return await outbox.enqueue(session, envelopes, now=now, default_channel=defaults.channel)


async def task(
    session: AsyncSession, report: Report, *, person: Person, issuer: str, now: datetime, defaults: Defaults
) -> None:
    """The responsible person's task: what, the 五定, 整改完成, and the PDF attached."""
    lines = [
        Text("rectify.task_title", number=report.number),
        *await _describe(session, report, defaults=defaults, officer=False),
        *_task_lines(report, issuer=issuer),
        Text("rectify.task_hint"),
    ]
    name = notice_pdf.file_name(report.number)
    files = (Attachment("document", name=name, path=report.notice_path),)
    key = f"report:{report.id}:assigned:{report.version}:{person.id}"
    view = View(tuple(lines), _done_button(report), files)
    await _send(
        session, [Envelope(key=key, kind=KIND, view=view, person_id=person.id)], now=now, defaults=defaults
    )


async def to_verify(
    session: AsyncSession,
    report: Report,
    *,
    to: Sequence[Person],
    photos: Sequence[Photo],
    note: str | None,
    by: str,
    now: datetime,
    defaults: Defaults,
) -> None:
    """The verifier's message: the proof photos, the note, 通过 / 驳回."""
    lines: list[Line] = [
        Text("rectify.verify_title", number=report.number, name=by),
        Text("rectify.line_measures", measures=report.measures or ""),
        Text("rectify.line_note", note=note if note else Text("rectify.no_note")),
        Text("rectify.line_photos", count=len(photos)),
    ]
    actions = (
        (
            Action(Text("rectify.accept_button"), ACCEPT, button_arg(report)),
            Action(Text("rectify.reject_button"), REJECT, button_arg(report)),
        ),
    )
    files = tuple(Attachment("photo", path=p.path, file_id=p.file_id) for p in photos)
    view = View(tuple(lines), actions, files)
    envelopes = [
        Envelope(
            key=f"report:{report.id}:submitted:{report.version}:{p.id}", kind=KIND, view=view, person_id=p.id
        )
        for p in to
    ]
    await _send(session, envelopes, now=now, defaults=defaults)


async def rejected(
    session: AsyncSession, report: Report, *, reason: str, by: str, now: datetime, defaults: Defaults
) -> None:
    lines = [
        Text("rectify.rejected_title", number=report.number, name=by),
        Text("rectify.line_reason", reason=reason),
        *_task_lines(report, issuer=by),
        Text("rectify.task_hint"),
    ]
    key = f"report:{report.id}:rejected:{report.version}"
    view = View(tuple(lines), _done_button(report))
    envelope = Envelope(key=key, kind=KIND, view=view, person_id=report.responsible_id)
    await _send(session, [envelope], now=now, defaults=defaults)


async def closed(
    session: AsyncSession, report: Report, *, by: str, now: datetime, defaults: Defaults
) -> None:
    """销号: the reporter and the responsible person are told."""
    view = View((Text("rectify.closed_title", number=report.number, name=by),))
    people = {report.reporter_id, report.responsible_id} - {None, report.closed_by}
    envelopes = [
        Envelope(key=f"report:{report.id}:closed:{report.version}:{p}", kind=KIND, view=view, person_id=p)
        for p in sorted(p for p in people if p is not None)
    ]
    await _send(session, envelopes, now=now, defaults=defaults)


async def recheck_ask(
    session: AsyncSession, report: Report, *, to: Sequence[Person], now: datetime, defaults: Defaults
) -> int:
    """回头看: the verifier who closed it (or the officers in scope) is asked whether it stayed fixed."""
    unit = await _unit(session, report)
    closed_on = (
        report.closed_at.astimezone(defaults.zone(unit.timezone if unit else None))
        if report.closed_at
        else now
    )
    lines = [
        Text("rectify.recheck_title", number=report.number, closed=closed_on.strftime("%Y-%m-%d")),
        *await _describe(session, report, defaults=defaults, officer=True),
        Text("rectify.line_measures", measures=report.measures or ""),
    ]
    actions = (
        (
            Action(Text("rectify.recheck_ok"), RECHECK, button_arg(report, "ok")),
            Action(Text("rectify.recheck_reopen"), RECHECK, button_arg(report, "re")),
        ),
    )
    view = View(tuple(lines), actions)
    envelopes = [
        Envelope(
            key=f"report:{report.id}:recheck:{report.version}:{p.id}", kind=KIND, view=view, person_id=p.id
        )
        for p in to
    ]
    return await _send(session, envelopes, now=now, defaults=defaults)


async def reopened(
    session: AsyncSession, report: Report, *, by: str, now: datetime, defaults: Defaults
) -> None:
    """重新整改 (严防隐患反弹): the safety officers in scope get the report again, with 指派."""
    tree = await UnitTree.load(session)
    envelopes = []
    for person in (await tree.audience(report.unit_id, Role.SAFETY_OFFICER)).people:
        lines = [
            Text("rectify.reopened_title", number=report.number, name=by),
            *await _describe(session, report, defaults=defaults, officer=True),
        ]
        actions = ((Action(Text("report.assign"), ASSIGN, str(report.id)),),)
        key = f"report:{report.id}:reopened:{report.version}:{person.id}"
        envelopes.append(Envelope(key=key, kind=KIND, view=View(tuple(lines), actions), person_id=person.id))
    await _send(session, envelopes, now=now, defaults=defaults)
