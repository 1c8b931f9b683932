"""The parts of /status beyond the day's rounds, inspections and quiz clearance, for a leader's units: open
reports by kind and state with the rectifications past their deadline, reminder cards still waiting on
someone (acknowledged / total, and who has not), and today's duty shifts confirmed or not.

Plain lines (text keys with parameters) for the handler to render; every list of names or numbers is
capped (`…等N人`), so that the whole of /status stays within one message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from itertools import groupby

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.kinds import CARD_ACK
from safety.reports import listing
from safety.reports.routing import kind_text
from safety.reports.rules import OPEN_STATES, Kind, State
from safety.shifts.rules import as_utc, role_text
from safety.shifts.views import hhmm, times
from safety.views import Join, Line, Text
from storage import card_queries as cq
from storage import report_read_queries as rr
from storage import shift_queries as sq
from storage import status_queries as stq
from storage.models import Unit

NAMES_CAP = 10  # names (or report numbers) shown one by one; the rest are counted
CARDS_SHOWN = 5  # open card occurrences, latest first
SHIFTS_SHOWN = 20
STATE_ORDER = (State.REPORTED, State.ASSIGNED, State.SUBMITTED)


def capped(names: Sequence[str], cap: int = NAMES_CAP, *, more: str = "status.names_more") -> Text:
    """The names joined, the first `cap` of them and then how many in all: "张三、李四…等12人"."""
    if len(names) <= cap:
        return Text("status.names", names=Join(tuple(names)))
    return Text(more, names=Join(tuple(names[:cap])), count=len(names))


async def report_lines(
    session: AsyncSession, *, units: Sequence[str], now: datetime, defaults: Defaults
) -> list[Line]:
    """Open reports per kind by state, then the overdue rectifications by number."""
    counts = await stq.report_counts(session, unit_ids=units, states=sorted(OPEN_STATES))
    lines: list[Line] = [Text("status.reports_title")]
    by_kind = {
        kind: {state: n for _, state, n in rows} for kind, rows in groupby(sorted(counts), lambda r: r[0])
    }
    for kind in [k for k in Kind if k in by_kind] + sorted(set(by_kind) - set(Kind)):
        states = by_kind[kind]
        lines.append(
            Text(
                "status.reports_line",
                kind=kind_text(kind),
                total=sum(states.values()),
                reported=states.get(State.REPORTED, 0),
                assigned=states.get(State.ASSIGNED, 0),
                submitted=states.get(State.SUBMITTED, 0),
            )
        )
    if not by_kind:
        lines.append(Text("status.reports_none"))
    zones = {u.id: u.timezone for u in await rr.all_units(session) if u.id in set(units)}
    latest = max((defaults.today(now, tz) for tz in zones.values()), default=defaults.today(now, None))
    assigned = await stq.assigned_due_before(session, unit_ids=units, state=State.ASSIGNED, before=latest)
    late = [
        r.number
        for r in assigned
        if listing.overdue(r, now=now, defaults=defaults, timezone=zones.get(r.unit_id))
    ]
    if late:
        lines.append(
            Text("status.overdue_line", count=len(late), numbers=capped(late, more="status.numbers_more"))
        )
    return lines


async def card_lines(session: AsyncSession, *, units: Sequence[str]) -> list[Line]:
    """Each card occurrence someone in these units has not acknowledged: done / total and who not."""
    duties = await stq.duties_of_open_refs(session, kind=CARD_ACK, unit_ids=units, limit=CARDS_SHOWN)
    lines: list[Line] = [Text("status.cards_title")]
    if not duties:
        return [*lines, Text("status.cards_none")]
    ids = {int(d.ref.split(":", 1)[1]) for d in duties if d.ref.split(":", 1)[-1].isdigit()}
    occurrences = {f"card:{o.id}": o for o in await cq.occurrences_by_ids(session, ids=sorted(ids))}
    names = await rr.names_of(session, person_ids=[d.subject_id for d in duties if d.state == "open"])
    by_ref: dict[str, list] = {}
    for duty in duties:
        by_ref.setdefault(duty.ref, []).append(duty)
    ordered = sorted(by_ref, key=lambda ref: min(d.due_at for d in by_ref[ref]), reverse=True)
    for ref in ordered:
        occurrence = occurrences.get(ref)
        counted = [d for d in by_ref[ref] if d.state != "excused"]
        done = [d for d in counted if d.state in {"done", "acknowledged"}]
        waiting = [names.get(d.subject_id, "?") for d in counted if d.state == "open"]
        lines.append(
            Text(
                "status.card_line",
                title=occurrence.title if occurrence else ref,
                date=occurrence.event_date.isoformat() if occurrence else "",
                done=len(done),
                total=len(counted),
                names=capped(waiting),
            )
        )
    return lines


async def shift_lines(
    session: AsyncSession, *, units: Sequence[str], day: date, now: datetime, defaults: Defaults
) -> list[Line]:
    """Today's duty shifts of these units (the roster's date): confirmed (到岗 at), not yet, or later."""
    shifts = sorted(
        await sq.shifts_of_days(session, unit_ids=units, days=[day]),
        key=lambda s: (s.starts_at, s.role, s.id or 0),
    )
    lines: list[Line] = [Text("status.shifts_title", date=day.isoformat())]
    if not shifts:
        return [*lines, Text("status.shifts_none")]
    unit_rows: dict[str, Unit] = {u.id: u for u in await rr.all_units(session)}
    names = await rr.names_of(session, person_ids=[s.person_id for s in shifts])
    confirmed = sum(1 for s in shifts if s.confirmed_at is not None)
    lines.append(Text("status.shifts_count", confirmed=confirmed, total=len(shifts)))
    for shift in shifts[:SHIFTS_SHOWN]:
        unit = unit_rows.get(shift.unit_id)
        zone = defaults.zone(unit.timezone if unit else None)
        if shift.confirmed_at is not None:
            state = Text("status.shift_confirmed", time=hhmm(shift.confirmed_at, zone))
        elif as_utc(shift.starts_at) > now:
            state = Text("status.shift_upcoming")
        else:
            state = Text("status.shift_missing")
        lines.append(
            Text(
                "status.shift_line",
                unit=unit.name if unit else shift.unit_id,
                role=role_text(shift.role),
                name=names.get(shift.person_id, "?"),
                state=state,
                **times(shift.starts_at, shift.ends_at, zone),
            )
        )
    if len(shifts) > SHIFTS_SHOWN:
        lines.append(Text("status.shifts_more", count=len(shifts) - SHIFTS_SHOWN))
    return lines
