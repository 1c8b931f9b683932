"""How a check-in round looks in an escalation digest and in a reminder, in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from safety.delivery import Button, OutMessage
from safety.rounds import Schedule, round_message, zone
from safety.texts import t
from storage import duty_queries as dq
from storage import escalation_queries as eq
from storage.escalation_queries import PersonName, RoundDuty
from storage.models import CheckIn, Round, Unit

MAX_BUTTON_ROWS = 15


@dataclass
class RoundPicture:
    """A round as digests and reminders show it; plain rows (a tick loads thousands of them at once)."""

    round: Round
    unit: Unit
    tz: ZoneInfo
    obligations: list[RoundDuty]
    people: dict[int, PersonName] = field(default_factory=dict)
    checkins: dict[int, CheckIn] = field(default_factory=dict)

    def name(self, person_id: int | None) -> str:
        person = self.people.get(person_id or 0)
        return person.name if person else "?"

    def hhmm(self, moment: datetime | None) -> str:
        return moment.astimezone(self.tz).strftime("%H:%M") if moment is not None else ""


async def load_round(session: AsyncSession, *, ref: str, default_timezone: str) -> RoundPicture | None:
    """The round behind a reference 'round:<id>' with its obligations, people and check-ins."""
    return (await load_rounds(session, refs=[ref], default_timezone=default_timezone)).get(ref)


async def load_rounds(
    session: AsyncSession, *, refs: Sequence[str], default_timezone: str
) -> dict[str, RoundPicture]:
    """Several rounds at once, in five queries whatever their number (the escalation tick's batch)."""
    round_ids = sorted({int(r[6:]) for r in refs if r.startswith("round:") and r[6:].isdigit()})
    if not round_ids:
        return {}
    rounds = (await session.exec(select(Round).where(col(Round.id).in_(round_ids)))).all()
    units = {
        u.id: u
        for u in (await session.exec(select(Unit).where(col(Unit.id).in_({r.unit_id for r in rounds})))).all()
    }
    wanted = [f"round:{r.id}" for r in rounds]
    by_ref: dict[str, list[RoundDuty]] = {ref: [] for ref in wanted}
    people: dict[int, PersonName] = {}
    for duty in await eq.round_duties(session, kind="checkin", refs=wanted):
        by_ref[duty.ref].append(duty)
        people[duty.subject_id] = PersonName(duty.subject_id, duty.name, duty.language)
    closers = {d.closed_by for group in by_ref.values() for d in group if d.closed_by} - people.keys()
    people.update((p.id, p) for p in await eq.names_of(session, ids=closers))
    checkins: dict[int, dict[int, CheckIn]] = {}
    for checkin in await dq.checkins_of_rounds(session, round_ids=[r.id for r in rounds if r.id]):
        checkins.setdefault(checkin.round_id, {})[checkin.person_id] = checkin
    pictures = {}
    for round_ in rounds:
        unit = units[round_.unit_id]
        ref = f"round:{round_.id}"
        pictures[ref] = RoundPicture(
            round_, unit, zone(unit, default_timezone), by_ref[ref], people, checkins.get(round_.id or 0, {})
        )
    return pictures


def render_digest(picture: RoundPicture, *, language: str, listed: set[int]) -> OutMessage:
    """Unit, due time and done/total; who is missing, handled or excused; buttons for the listed ones."""
    sep = t(language, "digest.name_separator")
    counted = [o for o in picture.obligations if o.state != "excused"]
    done = [o for o in counted if o.state in {"done", "acknowledged"}]
    lines = [
        t(
            language,
            "digest.title",
            unit=picture.unit.name,
            due=picture.hhmm(picture.round.due_at),
            done=len(done),
            total=len(counted),
        )
    ]
    missing = [o for o in picture.obligations if o.state == "open"]
    if missing:
        lines.append(
            t(language, "digest.missing", names=sep.join(picture.name(o.subject_id) for o in missing))
        )
    else:
        lines.append(t(language, "digest.none_missing"))
    for status, key in (("late", "digest.late_line"), ("issue", "digest.issue_line")):
        names = [picture.name(pid) for pid, c in picture.checkins.items() if c.status == status]
        if names:
            lines.append(t(language, key, names=sep.join(names)))
    for obligation in picture.obligations:
        if obligation.closed_by is None or obligation.state not in {"acknowledged", "excused"}:
            continue
        key = "digest.handled_line" if obligation.state == "acknowledged" else "digest.excused_line"
        lines.append(
            t(
                language,
                key,
                name=picture.name(obligation.subject_id),
                by=picture.name(obligation.closed_by),
                time=picture.hhmm(obligation.closed_at),
            )
        )
    rows: list[tuple[Button, ...]] = []
    for obligation in missing:
        if obligation.id in listed and len(rows) < MAX_BUTTON_ROWS:
            name = picture.name(obligation.subject_id)
            rows.append(
                (
                    Button(t(language, "digest.remind", name=name), "ob", f"{obligation.id}.r"),
                    Button(t(language, "digest.excuse"), "ob", f"{obligation.id}.x"),
                    Button(t(language, "digest.handled"), "ob", f"{obligation.id}.h"),
                )
            )
    return OutMessage("\n".join(lines), tuple(rows))


def render_reminder(picture: RoundPicture, *, language: str, nudged_by: str | None = None) -> OutMessage:
    """The reminder to the person themself, with the check-in buttons again."""
    assert picture.round.id is not None
    schedule = Schedule.of(picture.unit)
    assert schedule is not None
    base = round_message(
        round_id=picture.round.id,
        unit=picture.unit,
        schedule=schedule,
        due_at=picture.round.due_at,
        language=language,
        tz=picture.tz,
    )
    due = picture.hhmm(picture.round.due_at)
    if nudged_by:
        head = t(language, "checkin.nudge", by=nudged_by, unit=picture.unit.name, due=due)
    else:
        head = t(language, "checkin.reminder", unit=picture.unit.name, due=due)
    return OutMessage(head + "\n\n" + base.text, base.buttons)
