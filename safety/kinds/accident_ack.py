"""The accident_ack kind: a 重大 hazard or an accident goes up the chain until someone acknowledges it.

One obligation per report (ref "report:<id>", due when reported). Its subject is only its owner of record
(the nearest safety officer, see safety/reports/duties.py), never shown: the digest speaks of the report,
and any recipient at the current step may press 已确认, which stops the escalation for everyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.kinds import report_duty as rd
from safety.kinds.base import DigestAction, Picture
from safety.views import Line, Text, View
from storage.escalation_queries import DutyRow

DEFAULT_POLICY = ({"after": "PT0M", "to": "safety_officer"}, {"after": "PT10M", "to": "manager"})
ACKNOWLEDGE = DigestAction(
    "a", "accident.acknowledge", "acknowledged", "accident.done_acknowledged", "obligation.acknowledged"
)
CLOSED = {"acknowledged": "accident.ack_closed"}


class AccidentAckKind:
    name = "accident_ack"
    default_policy = DEFAULT_POLICY
    actions = (ACKNOWLEDGE,)
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
        title = Text("accident.ack_title", kind=rd.kind_of(report), number=report.number)
        lines: list[Line] = rd.what(picture, extra)
        duties = picture.of_unit(unit_id)
        closed = [line for d in duties if (line := rd.closed_line(picture, d, unit_id, CLOSED))]
        if any(d.state == "open" for d in duties):
            lines.append(Text("accident.ack_waiting"))
        lines += closed
        return title, lines

    def reminder(self, picture: Picture, duty: DutyRow, *, nudged_by: str | None = None) -> View | None:
        extra: rd.ReportExtra | None = picture.extra
        if extra is None:
            return None
        report = extra.report
        head: Line = (
            Text("accident.ack_nudge", by=nudged_by, kind=rd.kind_of(report), number=report.number)
            if nudged_by
            else Text("accident.ack_title", kind=rd.kind_of(report), number=report.number)
        )
        return View((head, *rd.what(picture, extra)))

    def alert(self, topic: str, picture: Picture, unit_id: str, listed: Sequence[int]) -> View | None:
        return None


KIND = AccidentAckKind()
