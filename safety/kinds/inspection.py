"""The inspection kind: a unit's required inspection (daily or monthly) not done by its due time.

The reference is `inspect:<unit>:<YYYY-MM-DD>` or `…:<YYYY-MM>` (safety.inspections.requirements); the
subject is the nearest holder of the requirement's role. The subject is reminded at the due time, the
safety officer later; a recipient may remind the subject or mark it handled (no excuse: an inspection is
not a person's absence).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.kinds.base import HANDLED, REMIND, Picture
from safety.views import Line, Text, View
from storage.escalation_queries import DutyRow

DEFAULT_POLICY = ({"after": "PT0M", "to": "self"}, {"after": "PT2H", "to": "safety_officer"})


def period_text(ref: str) -> Text:
    """The period a reference names: a day (每日例行检查) or a month (月度检查)."""
    label = ref.rsplit(":", 1)[-1]
    if len(label) == 7:
        return Text("inspect.period_monthly", month=label)
    return Text("inspect.period_daily", day=label)


class InspectionKind:
    name = "inspection"
    default_policy = DEFAULT_POLICY
    actions = (REMIND, HANDLED)
    shared_reminder = False  # each unit's requirement names its own unit

    async def load_extra(
        self, session: AsyncSession, refs: Sequence[str], defaults: Defaults
    ) -> dict[str, Any]:
        return {}  # the obligations say it all: unit, period (in the reference), due time

    def digest_lines(self, picture: Picture, unit_id: str) -> tuple[Line, list[Line]]:
        duties = picture.of_unit(unit_id)
        due = picture.hhmm(min(d.due_at for d in duties), unit_id) if duties else ""
        title = Text(
            "inspect.digest_title",
            unit=picture.unit_name(unit_id),
            period=period_text(picture.ref),
            due=due,
        )
        return title, []

    def reminder(self, picture: Picture, duty: DutyRow, *, nudged_by: str | None = None) -> View | None:
        unit = picture.unit_name(duty.unit_id)
        due = duty.due_at.astimezone(picture.zone(duty.unit_id)).strftime("%Y-%m-%d %H:%M")
        period = period_text(duty.ref)
        if nudged_by:
            return View((Text("inspect.nudge", by=nudged_by, unit=unit, period=period, due=due),))
        return View((Text("inspect.reminder", unit=unit, period=period, due=due),))

    def alert(self, topic: str, picture: Picture, unit_id: str, listed: Sequence[int]) -> View | None:
        return None


KIND = InspectionKind()
