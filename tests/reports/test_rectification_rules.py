"""The rules of rectification, in the domain with an explicit `now`, on both databases: who may assign,
verify and be made responsible; deadlines; what a refused step leaves behind (nothing); re-assignment keeps
the earlier notice; 回头看 is asked once, for closed hazards only, after the configured days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from safety.access import Actor
from safety.config import Defaults
from safety.imports.results import ImportReport
from safety.imports.service import import_org_file
from safety.reports import rechecks
from safety.reports import rectification as rect
from safety.reports import rectification_rights as rights
from safety.reports.create import Photo, ReportInput, create
from safety.reports.rectification_rights import RectifyRefused, ReportRules
from storage import org_queries as oq
from storage.db import Database
from storage.models import OutboxMessage, Report, ReportEvent, ReportPhoto
from tests.flow.harness import EXAMPLES

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 11, 27)
DEFAULTS = Defaults(channel="telegram")
PHOTO = Photo("file-1", "a" * 64, "photos/a.jpg", 10)


async def _org(db: Database) -> dict[str, Actor]:
    async with db.session() as session:
        assert isinstance(await import_org_file(session, EXAMPLES / "org.yaml"), ImportReport)
        actors = {}
        for person in await oq.all_people(session):
            assert person.id is not None
            roles = frozenset((r.role, r.unit_id) for r in await oq.roles_of(session, person_id=person.id))
            actors[person.employee_no] = Actor(
                person.id, person.employee_no, person.name, person.unit_id, None, roles
            )
    return actors


async def _report(db: Database, actors: dict[str, Actor], kind: str = "hazard") -> Report:
    data = ReportInput(
        kind=kind,
        unit_id="team-blast",
        description="临边防护缺失",
        severity="general" if kind == "hazard" else None,
    )
    async with db.session() as session:
        return await create(session, data, reporter_id=actors["E1001"].person_id, now=NOW, defaults=DEFAULTS)


async def _assign(
    db: Database, actors: dict[str, Actor], report: Report, tmp_path: Path, **changes: object
) -> Report:
    fields: dict[str, object] = {
        "report_id": report.id,
        "version": report.version,
        "actor": actors["S0001"],
        "responsible_id": actors["E1000"].person_id,
        "deadline": TODAY + timedelta(days=3),
        "measures": "设置防护栏杆",
        "now": NOW,
        "defaults": DEFAULTS,
        "data_dir": tmp_path,
    }
    fields.update(changes)
    async with db.session() as session:
        return await rect.assign(session, **fields)  # type: ignore[arg-type]


async def test_who_may_assign_verify_and_be_responsible(db: Database) -> None:
    actors = await _org(db)
    report = await _report(db, actors)
    async with db.session() as session:
        may_assign = {no for no, a in actors.items() if await rights.may_assign(session, a, report)}
        may_verify = {no for no, a in actors.items() if await rights.may_verify(session, a, report)}
        people = {p.employee_no for p in await rights.candidates(session, report)}
        by_number = [p.employee_no for p in await rights.candidates(session, report, query="e1002")]
        by_name = [p.employee_no for p in await rights.candidates(session, report, query="李")]
    assert may_assign == {"S0001", "S0002", "A0002"}  # officers of the project and above
    assert may_verify == {"S0001", "S0002", "A0002", "M0101", "M0001"}  # and the managers in the chain
    assert "E1000" in people and "M0101" in people and "E2000" not in people and "S0201" not in people
    assert by_number == ["E1002"] and by_name == ["E1000"]


async def test_deadlines_typed_and_checked() -> None:
    assert rights.parse_deadline("2026-12-01", TODAY) == date(2026, 12, 1)
    assert rights.parse_deadline(" 2026-11-27 ", TODAY) == TODAY
    for typed, key in (
        ("明天", "deadline_format"),
        ("2026-11-26", "deadline_past"),
        ("2028-01-01", "deadline_far"),
    ):
        with pytest.raises(RectifyRefused) as refused:
            rights.parse_deadline(typed, TODAY)
        assert refused.value.key == f"rectify.{key}"


async def test_refused_steps_store_nothing(db: Database, tmp_path: Path) -> None:
    actors = await _org(db)
    report = await _report(db, actors)
    refusals = [
        ({"actor": actors["M0101"]}, "rectify.not_allowed"),  # a manager verifies, never assigns
        ({"actor": actors["S0201"]}, "rectify.not_allowed"),  # another project's officer
        ({"responsible_id": actors["E2000"].person_id}, "rectify.responsible_not_allowed"),
        ({"deadline": TODAY - timedelta(days=1)}, "rectify.deadline_past"),
        ({"measures": "  "}, "rectify.measures_blank"),
        ({"measures": "x" * 1001}, "rectify.measures_too_long"),
        ({"version": 5}, "rectify.changed"),
    ]
    for changes, key in refusals:
        with pytest.raises(RectifyRefused) as refused:
            await _assign(db, actors, report, tmp_path, **changes)
        assert refused.value.key == key, changes
    assigned = await _assign(db, actors, report, tmp_path)
    async with db.session() as session:
        for kwargs, key in (
            ({"actor": actors["E1001"], "photos": [PHOTO], "note": None}, "rectify.not_yours"),
            ({"actor": actors["E1000"], "photos": [], "note": None}, "rectify.photo_needed"),
            ({"actor": actors["E1000"], "photos": [PHOTO] * 6, "note": None}, "rectify.too_many_photos"),
            ({"actor": actors["E1000"], "photos": [PHOTO], "note": "x" * 501}, "rectify.note_too_long"),
        ):
            with pytest.raises(RectifyRefused) as refused:
                await rect.submit(
                    session,
                    report_id=assigned.id or 0,
                    version=assigned.version,
                    now=NOW,
                    defaults=DEFAULTS,
                    **kwargs,
                )  # type: ignore[arg-type]
            assert refused.value.key == key
    async with db.session() as session:
        submitted = await rect.submit(
            session, report_id=assigned.id or 0, version=assigned.version, actor=actors["E1000"],
            photos=[PHOTO], note="已完成", now=NOW, defaults=DEFAULTS,
        )  # fmt: skip
        for reason, key in (("", "rectify.reason_blank"), ("x" * 501, "rectify.reason_too_long")):
            with pytest.raises(RectifyRefused) as refused:
                await rect.reject(
                    session, report_id=submitted.id or 0, version=submitted.version, actor=actors["S0001"],
                    reason=reason, now=NOW, defaults=DEFAULTS,
                )  # fmt: skip
            assert refused.value.key == key
        with pytest.raises(RectifyRefused):  # the responsible person cannot verify their own work
            await rect.accept(
                session, report_id=submitted.id or 0, version=submitted.version, actor=actors["E1000"],
                now=NOW, defaults=DEFAULTS, rules=ReportRules(),
            )  # fmt: skip
    async with db.session() as session:
        events = (await session.exec(select(ReportEvent.action))).all()
        photos = (await session.exec(select(ReportPhoto))).all()
    assert list(events) == ["reported", "assigned", "submitted"] and len(photos) == 1


async def test_reassignment_keeps_the_earlier_notice(db: Database, tmp_path: Path) -> None:
    actors = await _org(db)
    report = await _report(db, actors)
    first = await _assign(db, actors, report, tmp_path)
    second = await _assign(
        db, actors, first, tmp_path, actor=actors["S0002"], responsible_id=actors["E1002"].person_id
    )
    assert first.notice_path == f"notices/整改通知单-{report.number}.pdf"
    assert second.notice_path == f"notices/整改通知单-{report.number}-2.pdf"
    assert (tmp_path / first.notice_path).exists() and (tmp_path / second.notice_path).exists()
    assert (
        second.responsible_id == actors["E1002"].person_id and second.assigned_by == actors["S0002"].person_id
    )
    async with db.session() as session:
        keys = (await session.exec(select(OutboxMessage.key))).all()
    assert sum(":assigned:" in key for key in keys) == 2


async def _closed(db: Database, actors: dict[str, Actor], tmp_path: Path, kind: str, days: int) -> Report:
    report = await _assign(db, actors, await _report(db, actors, kind), tmp_path)
    async with db.session() as session:
        report = await rect.submit(
            session, report_id=report.id or 0, version=report.version, actor=actors["E1000"], photos=[PHOTO],
            note=None, now=NOW, defaults=DEFAULTS,
        )  # fmt: skip
        return await rect.accept(
            session, report_id=report.id or 0, version=report.version, actor=actors["S0001"], now=NOW,
            defaults=DEFAULTS, rules=ReportRules(recheck_days=days),
        )  # fmt: skip


async def test_recheck_is_asked_once_for_closed_hazards_after_the_days(db: Database, tmp_path: Path) -> None:
    actors = await _org(db)
    hazard = await _closed(db, actors, tmp_path, "hazard", 7)
    near_miss = await _closed(db, actors, tmp_path, "near_miss", 7)
    assert hazard.recheck_due_at is not None and near_miss.recheck_due_at is None
    assert hazard.recheck_due_at.astimezone(UTC) == NOW + timedelta(days=7)
    asked = []
    for moment in (NOW + timedelta(days=6), NOW + timedelta(days=7), NOW + timedelta(days=8)):
        async with db.session() as session:
            asked.append(await rechecks.send_due(session, now=moment, defaults=DEFAULTS))
    assert asked == [0, 1, 0]
    async with db.session() as session:
        with pytest.raises(RectifyRefused):  # a staff member cannot answer it
            await rechecks.answer(
                session, report_id=hazard.id or 0, version=hazard.version, actor=actors["E1000"], choice="ok",
                now=NOW, defaults=DEFAULTS,
            )  # fmt: skip
        done = await rechecks.answer(
            session, report_id=hazard.id or 0, version=hazard.version, actor=actors["S0001"], choice="ok",
            now=NOW + timedelta(days=8), defaults=DEFAULTS,
        )  # fmt: skip
        assert done.rechecked_at is not None
        assert await rechecks.send_due(session, now=NOW + timedelta(days=9), defaults=DEFAULTS) == 0
