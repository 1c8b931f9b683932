"""The rectification kind (placeholder with the quiz kind's readings, being built)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.kinds.base import STANDARD_ACTIONS, Picture
from safety.views import Line, Text, View
from storage.escalation_queries import DutyRow

DEFAULT_POLICY = ({"after": "PT0M", "to": "self"}, {"after": "P1D", "to": "team_leader"})


class RectificationKind:
    name = "rectification"
    default_policy = DEFAULT_POLICY
    actions = STANDARD_ACTIONS
    shared_reminder = False  # each requirement has its own deadline

    async def load_extra(
        self, session: AsyncSession, refs: Sequence[str], defaults: Defaults
    ) -> dict[str, Any]:
        return {}  # the obligations say it all

    def digest_lines(self, picture: Picture, unit_id: str) -> tuple[Line, list[Line]]:
        duties = picture.of_unit(unit_id)
        tz = picture.zone(unit_id)
        due = min(d.due_at for d in duties).astimezone(tz).strftime("%m-%d %H:%M") if duties else ""
        count = sum(1 for d in duties if d.state == "open")
        return Text("quiz.digest_title", unit=picture.unit_name(unit_id), due=due, count=count), []

    def reminder(self, picture: Picture, duty: DutyRow, *, nudged_by: str | None = None) -> View | None:
        due = duty.due_at.astimezone(picture.zone(duty.unit_id)).strftime("%Y-%m-%d %H:%M")
        if nudged_by:
            return View((Text("quiz.nudge", by=nudged_by, due=due),))
        return View((Text("quiz.reminder", due=due),))

    def alert(self, topic: str, picture: Picture, unit_id: str, listed: Sequence[int]) -> View | None:
        return None


KIND = RectificationKind()
