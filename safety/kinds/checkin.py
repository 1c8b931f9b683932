"""The check-in kind: a round's duties in escalation digests, reminders and the alerts to team leaders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.kinds.base import STANDARD_ACTIONS, Picture
from safety.rounds import Schedule, round_view
from safety.views import Join, Line, Text, View
from storage import duty_queries as dq
from storage.escalation_queries import DutyRow
from storage.models import CheckIn, Round

DEFAULT_POLICY = (
    {"after": "PT0M", "to": "self"},
    {"after": "PT15M", "to": "team_leader"},
    {"after": "PT45M", "to": "safety_officer"},
    {"after": "PT2H", "to": "manager"},
)
ALERT_LINES = 30  # people an alert names one by one; the rest are counted (a message holds 4096 characters)
ISSUE, NOT_CLEARED = "issue", "not_cleared"


def round_ref(round_id: int) -> str:
    return f"round:{round_id}"


def round_id_of(ref: str) -> int | None:
    prefix, _, number = ref.partition(":")
    return int(number) if prefix == "round" and number.isdigit() else None


@dataclass(frozen=True)
class RoundExtra:
    """A round's own part of its picture: the round, its unit and who answered how."""

    round: Round
    unit_id: str
    checkins: dict[int, CheckIn] = field(default_factory=dict)


class CheckinKind:
    name = "checkin"
    default_policy = DEFAULT_POLICY
    actions = STANDARD_ACTIONS
    shared_reminder = True  # the round's checklist again

    async def load_extra(
        self, session: AsyncSession, refs: Sequence[str], defaults: Defaults
    ) -> dict[str, Any]:
        ids = sorted({i for ref in refs if (i := round_id_of(ref)) is not None})
        if not ids:
            return {}
        rounds = (await session.exec(select(Round).where(col(Round.id).in_(ids)))).all()
        answers: dict[int, dict[int, CheckIn]] = {}
        for checkin in await dq.checkins_of_rounds(session, round_ids=ids):
            answers.setdefault(checkin.round_id, {})[checkin.person_id] = checkin
        return {round_ref(r.id or 0): RoundExtra(r, r.unit_id, answers.get(r.id or 0, {})) for r in rounds}

    def digest_lines(self, picture: Picture, unit_id: str) -> tuple[Line, list[Line]]:
        extra: RoundExtra = picture.extra
        counted = [d for d in picture.of_unit(unit_id) if d.state != "excused"]
        done = [d for d in counted if d.state in {"done", "acknowledged"}]
        due = picture.hhmm(extra.round.due_at, unit_id)
        title = Text(
            "digest.title", unit=picture.unit_name(unit_id), due=due, done=len(done), total=len(counted)
        )
        lines: list[Line] = []
        for status, key in (("late", "digest.late_line"), ("issue", "digest.issue_line")):
            names = tuple(picture.name(pid) for pid, c in extra.checkins.items() if c.status == status)
            if names:
                lines.append(Text(key, names=Join(names)))
        return title, lines

    def reminder(self, picture: Picture, duty: DutyRow, *, nudged_by: str | None = None) -> View | None:
        extra: RoundExtra | None = picture.extra
        unit = picture.units.get(extra.unit_id) if extra else None
        schedule = Schedule.of(unit) if unit else None
        if extra is None or unit is None or schedule is None or extra.round.id is None:
            return None
        due = picture.hhmm(extra.round.due_at, unit.id)
        base = round_view(
            round_id=extra.round.id,
            unit=unit,
            schedule=schedule,
            due_at=extra.round.due_at,
            tz=picture.zone(unit.id),
        )
        if nudged_by:
            return base.with_head(Text("checkin.nudge", by=nudged_by, unit=unit.name, due=due), "")
        return base.with_head(Text("checkin.reminder", unit=unit.name, due=due), "")

    def alert(self, topic: str, picture: Picture, unit_id: str, listed: Sequence[int]) -> View | None:
        extra: RoundExtra | None = picture.extra
        if extra is None:
            return None
        unit = picture.unit_name(unit_id)
        duties = [picture.by_id[i] for i in listed if i in picture.by_id]
        if topic == NOT_CLEARED:
            names = tuple(picture.name(d.subject_id) for d in duties)
            return View((Text("checkin.not_cleared_digest", unit=unit, count=len(names), names=Join(names)),))
        if topic != ISSUE:
            return None
        answers = sorted(
            (c for d in duties if (c := extra.checkins.get(d.subject_id)) is not None and c.status == ISSUE),
            key=lambda c: (c.at, c.id or 0),
        )
        lines: list[Line] = [Text("checkin.issue_digest", unit=unit, count=len(answers))]
        for answer in answers[-ALERT_LINES:]:
            lines.append(
                Text(
                    "checkin.issue_digest_line",
                    name=picture.name(answer.person_id),
                    time=picture.hhmm(answer.at, unit_id),
                    items=Join(tuple(answer.items or ())),
                    note=answer.note or "",
                    photo=Text("checkin.issue_alert_photo") if answer.photo_file_id else "",
                )
            )
        if len(answers) > ALERT_LINES:
            lines.append(Text("checkin.alert_more", count=len(answers) - ALERT_LINES))
        return View(tuple(lines))


KIND = CheckinKind()
