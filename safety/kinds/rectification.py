"""The rectification kind: an assigned report's 整改 is due at the end of its deadline day (the unit's time
zone); past it, the responsible person is reminded, then the safety officers, then the manager.

One obligation per report and responsible person (ref "report:<id>", subject the responsible person);
closed as done when the rectification is submitted, opened again when it is sent back. Digests name the
report (number, kind, place, deadline, responsible person, measures), never the reporter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.kinds import report_duty as rd
from safety.kinds.base import HANDLED, REMIND, Picture
from safety.reports.rectification_notices import SUBMIT_DONE, button_arg
from safety.reports.rules import State
from safety.views import Action, Line, Text, View
from storage.escalation_queries import DutyRow

DEFAULT_POLICY = (
    {"after": "PT0M", "to": "self"},
    {"after": "P1D", "to": "safety_officer"},
    {"after": "P3D", "to": "manager"},
)
CLOSED = {
    "done": "rectification.closed_done",
    "acknowledged": "rectification.closed_handled",
}


class RectificationKind:
    name = "rectification"
    default_policy = DEFAULT_POLICY
    actions = (REMIND, HANDLED)  # 提醒 the responsible person; 已处理
    shared_reminder = False  # each report has its own deadline
    lists_subjects = False

    async def load_extra(
        self, session: AsyncSession, refs: Sequence[str], defaults: Defaults
    ) -> dict[str, Any]:
        return await rd.load_reports(session, refs, defaults)

    def digest_lines(self, picture: Picture, unit_id: str) -> tuple[Line, list[Line]]:
        extra: rd.ReportExtra | None = picture.extra
        if extra is None:
            return Text("rectification.gone"), []
        report = extra.report
        title = Text("rectification.overdue_title", kind=rd.kind_of(report), number=report.number)
        lines = [*rd.what(picture, extra), *self._task(picture, extra)]
        duties = [d for d in picture.of_unit(unit_id) if d.state != "expired"]  # expired: reassigned
        if any(d.state == "open" for d in duties):
            lines.append(Text("rectification.waiting"))
        lines += [line for d in duties if (line := rd.closed_line(picture, d, unit_id, CLOSED))]
        return title, lines

    def reminder(self, picture: Picture, duty: DutyRow, *, nudged_by: str | None = None) -> View | None:
        extra: rd.ReportExtra | None = picture.extra
        if extra is None or extra.report.state != State.ASSIGNED:
            return None
        report = extra.report
        deadline = report.deadline.isoformat() if report.deadline else ""
        head = (
            Text("rectification.nudge", by=nudged_by, number=report.number, deadline=deadline)
            if nudged_by
            else Text("rectification.reminder", number=report.number, deadline=deadline)
        )
        return View((head, *rd.what(picture, extra), *self._task(picture, extra)), _done_button(extra))

    def alert(self, topic: str, picture: Picture, unit_id: str, listed: Sequence[int]) -> View | None:
        return None

    @staticmethod
    def _task(picture: Picture, extra: rd.ReportExtra) -> list[Line]:
        report = extra.report
        lines: list[Line] = [
            Text(
                "rectification.line_deadline", deadline=report.deadline.isoformat() if report.deadline else ""
            )
        ]
        if report.responsible_id is not None:
            name = extra.people.get(report.responsible_id) or picture.name(report.responsible_id)
            lines.append(Text("rectification.line_responsible", name=name))
        if report.measures:
            lines.append(Text("rectification.line_measures", measures=report.measures))
        return lines


def _done_button(extra: rd.ReportExtra) -> tuple[tuple[Action, ...], ...]:
    """整改完成 on the reminder, as on the task itself (routed by handlers/rectify.py)."""
    return ((Action(Text("rectify.done_button"), SUBMIT_DONE, button_arg(extra.report)),),)


KIND = RectificationKind()
