"""The accident_report kind: an accident must be reported to the authorities within one hour
(国务院令第493号); until someone presses 已上报 the nearest manager(s) are reminded.

One obligation per nearest manager (ref "report:<id>", due when reported); by default its steps remind the
manager themself at 30 and 50 minutes. The reminder carries the same 已上报 button as the accident notice
(action `ar`, handlers/accidents.py). If an org file sends it to a role, that digest's 已上报 records the
report as reported too (`closed_by_action`), exactly as the button does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.kinds import report_duty as rd
from safety.kinds.base import DigestAction, Picture
from safety.reports import accidents
from safety.reports.rules import AUTHORITY_REPORTED
from safety.views import Action, Line, Text, View
from storage.escalation_queries import DutyRow
from storage.models import Obligation

DEFAULT_POLICY = ({"after": "PT30M", "to": "self"}, {"after": "PT50M", "to": "self"})
REPORT_WITHIN = timedelta(hours=1)
REPORTED = DigestAction(
    "u",
    "accident.authority_reported",
    "acknowledged",
    "accident.done_authority_reported",
    "obligation.authority_reported",
)


class AccidentReportKind:
    name = "accident_report"
    default_policy = DEFAULT_POLICY
    actions = (REPORTED,)
    shared_reminder = False
    lists_subjects = False

    async def load_extra(
        self, session: AsyncSession, refs: Sequence[str], defaults: Defaults
    ) -> dict[str, Any]:
        return await rd.load_reports(session, refs, defaults)

    def digest_lines(self, picture: Picture, unit_id: str) -> tuple[Line, list[Line]]:
        extra: rd.ReportExtra | None = picture.extra
        if extra is None:
            return Text("accident.gone"), []
        report = extra.report
        title = Text("accident.report_title", number=report.number, due=self._due(picture, extra))
        return title, [*rd.what(picture, extra), *self._status(picture, extra)]

    def reminder(self, picture: Picture, duty: DutyRow, *, nudged_by: str | None = None) -> View | None:
        extra: rd.ReportExtra | None = picture.extra
        if extra is None or extra.report.authority_reported_by is not None:
            return None
        report = extra.report
        due = self._due(picture, extra)
        head = (
            Text("accident.report_nudge", by=nudged_by, number=report.number, due=due)
            if nudged_by
            else Text("accident.report_reminder", number=report.number, due=due)
        )
        button = Action(Text("accident.authority_reported"), AUTHORITY_REPORTED, str(report.id))
        return View((head, *rd.what(picture, extra), Text("accident.report_hint")), ((button,),))

    def alert(self, topic: str, picture: Picture, unit_id: str, listed: Sequence[int]) -> View | None:
        return None

    async def closed_by_action(
        self,
        session: AsyncSession,
        obligation: Obligation,
        *,
        actor_id: int,
        now: datetime,
        defaults: Defaults,
    ) -> None:
        """已上报 pressed in a digest: the report is marked reported, as by the notice's button."""
        report_id = rd.report_id_of(obligation.ref)
        if report_id is not None:
            await accidents.record(
                session, report_id=report_id, actor_id=actor_id, now=now, defaults=defaults
            )

    @staticmethod
    def _due(picture: Picture, extra: rd.ReportExtra) -> str:
        return rd.local(picture, extra.report.created_at + REPORT_WITHIN, extra.unit_id, "%H:%M")

    @staticmethod
    def _status(picture: Picture, extra: rd.ReportExtra) -> list[Line]:
        report = extra.report
        if report.authority_reported_by is None:
            return [Text("accident.report_waiting")]
        return [
            Text(
                "accident.reported_line",
                by=extra.people.get(report.authority_reported_by, "?"),
                time=rd.local(picture, report.authority_reported_at, extra.unit_id, "%m-%d %H:%M"),
            )
        ]


KIND = AccidentReportKind()
