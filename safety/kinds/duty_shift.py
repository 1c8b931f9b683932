"""The duty_shift kind: a person on the duty roster (带班领导 or 值班员) who has not confirmed 到岗.

One obligation per shift (ref "shift:<id>", subject the person on duty, due at the shift's start), opened
by safety.shifts.duties at the start with its first step already fired: the shift message with 到岗 is the
PT0M `self` step. Later `self` steps remind the person (with 到岗 again); the safety officer, then the
manager, get a digest per shift: "值班未到岗：<unit> <role> <name> <from>–<to>", with 提醒 and 已处理
(someone phoned them). The person's 到岗 closes it (safety.shifts.confirm) and edits the digests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.kinds.base import HANDLED, REMIND, Picture
from safety.shifts import views
from safety.shifts.rules import ref_of, role_text, shift_id_of
from safety.views import Line, Text, View
from storage import shift_queries as sq
from storage.escalation_queries import DutyRow
from storage.models import DutyShift

DEFAULT_POLICY = (
    {"after": "PT0M", "to": "self"},
    {"after": "PT15M", "to": "self"},
    {"after": "PT30M", "to": "safety_officer"},
    {"after": "PT1H", "to": "manager"},
)


@dataclass(frozen=True)
class ShiftExtra:
    """A shift's own part of its picture (`unit_id`: the picture loads the unit)."""

    shift: DutyShift
    unit_id: str


class DutyShiftKind:
    name = "duty_shift"
    default_policy = DEFAULT_POLICY
    actions = (REMIND, HANDLED)
    shared_reminder = False
    lists_subjects = True

    async def load_extra(
        self, session: AsyncSession, refs: Sequence[str], defaults: Defaults
    ) -> dict[str, Any]:
        ids = sorted({i for ref in refs if (i := shift_id_of(ref)) is not None})
        return {ref_of(s.id or 0): ShiftExtra(s, s.unit_id) for s in await sq.shifts_by_ids(session, ids=ids)}

    def digest_lines(self, picture: Picture, unit_id: str) -> tuple[Line, list[Line]]:
        extra: ShiftExtra | None = picture.extra
        if extra is None:
            return Text("shifts.gone"), []
        shift = extra.shift
        params = {
            "unit": picture.unit_name(shift.unit_id),
            "role": role_text(shift.role),
            "name": picture.name(shift.person_id),
            **views.span(shift, picture.zone(shift.unit_id)),
        }
        if shift.confirmed_at is None:
            return Text("shifts.digest_title", **params), []
        when = views.hhmm(shift.confirmed_at, picture.zone(shift.unit_id))
        return Text("shifts.digest_title_confirmed", **params), [Text("shifts.digest_confirmed", time=when)]

    def reminder(self, picture: Picture, duty: DutyRow, *, nudged_by: str | None = None) -> View | None:
        extra: ShiftExtra | None = picture.extra
        if extra is None or extra.shift.confirmed_at is not None:
            return None
        shift = extra.shift
        zone = picture.zone(shift.unit_id)
        params = {"unit": picture.unit_name(shift.unit_id), "role": role_text(shift.role)}
        params.update(views.span(shift, zone))
        head = (
            Text("shifts.nudge", by=nudged_by, **params) if nudged_by else Text("shifts.reminder", **params)
        )
        return views.start_view(shift, picture.unit_name(shift.unit_id), zone, head=head)

    def alert(self, topic: str, picture: Picture, unit_id: str, listed: Sequence[int]) -> View | None:
        return None


KIND = DutyShiftKind()
