"""How quiz requirements look in an escalation digest and in a reminder to the person."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from safety.delivery import Button, OutMessage
from safety.texts import t
from storage.escalation_queries import DueObligation
from storage.models import Digest, Obligation, Person, Unit

MAX_BUTTON_ROWS = 15


async def render_digest(
    session: AsyncSession, digest: Digest, *, language: str, listed: set[int], default_timezone: str
) -> OutMessage | None:
    obligations = list(
        (
            await session.exec(
                select(Obligation)
                .where(col(Obligation.id).in_(sorted(listed)))
                .order_by(col(Obligation.id))
                .execution_options(populate_existing=True)
            )
        ).all()
    )
    if not obligations:
        return None
    unit = await session.get(Unit, digest.unit_id)
    tz = ZoneInfo((unit.timezone if unit else None) or default_timezone)
    ids = {o.subject_id for o in obligations} | {o.closed_by for o in obligations if o.closed_by}
    names = {p.id: p.name for p in (await session.exec(select(Person).where(col(Person.id).in_(ids)))).all()}
    sep = t(language, "digest.name_separator")
    open_ = [o for o in obligations if o.state == "open"]
    due = min(o.due_at for o in obligations).astimezone(tz).strftime("%m-%d %H:%M")
    lines = [
        t(
            language,
            "quiz.digest_title",
            unit=unit.name if unit else digest.unit_id,
            due=due,
            count=len(open_),
        )
    ]
    if open_:
        lines.append(
            t(language, "digest.missing", names=sep.join(names.get(o.subject_id, "?") for o in open_))
        )
    else:
        lines.append(t(language, "digest.none_missing"))
    for o in obligations:
        if o.state in {"acknowledged", "excused"} and o.closed_by:
            key = "digest.handled_line" if o.state == "acknowledged" else "digest.excused_line"
            when = o.closed_at.astimezone(tz).strftime("%H:%M") if o.closed_at else ""
            lines.append(
                t(language, key, name=names.get(o.subject_id, "?"), by=names.get(o.closed_by, "?"), time=when)
            )
    rows = [
        (
            Button(t(language, "digest.remind", name=names.get(o.subject_id, "?")), "ob", f"{o.id}.r"),
            Button(t(language, "digest.excuse"), "ob", f"{o.id}.x"),
            Button(t(language, "digest.handled"), "ob", f"{o.id}.h"),
        )
        for o in open_[:MAX_BUTTON_ROWS]
    ]
    return OutMessage("\n".join(lines), tuple(rows))


def render_reminder(
    obligation: Obligation | DueObligation, *, language: str, tz: ZoneInfo, nudged_by: str | None = None
) -> OutMessage:
    due = obligation.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if nudged_by:
        return OutMessage(t(language, "quiz.nudge", by=nudged_by, due=due))
    return OutMessage(t(language, "quiz.reminder", due=due))
