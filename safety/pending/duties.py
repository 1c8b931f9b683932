"""The duty items of /pending: my own open duties of every kind, and others' duties escalated to me.

Mine: one item per open obligation, with the buttons the kind's reminder carries (the same the person
gets at a `self` step: 全部正常 / 有异常, 已阅 / 已部署落实, 到岗, 已上报, …). A kind whose reminder has no
button still lists; the quiz, whose reminder only says so, offers the quiz's start (QUIZ_START).

Theirs: the open obligations a step digest named to me at their current level, grouped per kind,
reference and unit like the digest (its title first), at most GROUP_ROWS people an item, with the
digest's actions per person (`ob` buttons: safety/obligation_actions.py re-checks at the press that the
presser is a current recipient and that the duty is still open).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import duty_pictures, kinds
from safety.access import Actor
from safety.config import Defaults
from safety.kinds import KIND_NAMES, QUIZ
from safety.kinds.base import Picture
from safety.pending.items import Item
from safety.views import Action, Join, Line, Text
from storage import pending_queries as pq
from storage import report_read_queries as rr
from storage.models import Obligation, Report

GROUP_ROWS = 5  # people of one digest group per item (a row of buttons each)
OBLIGATION_ACTION = "ob"  # handlers/obligations.py: "<obligation id>.<op>"
QUIZ_START = "pq"  # handlers/pending.py: start or resume the quiz, as /quiz does
REPORT_REF = "report:"


def _report_id(ref: str) -> int | None:
    tail = ref.removeprefix(REPORT_REF)
    return int(tail) if ref.startswith(REPORT_REF) and tail.isdigit() else None


async def _pictures(
    session: AsyncSession, obligations: Iterable[Obligation], defaults: Defaults
) -> dict[tuple[str, str], Picture]:
    """The pictures of these obligations' references, a batch per kind (kinds without a module: none)."""
    by_kind: dict[str, set[str]] = {}
    for obligation in obligations:
        if obligation.kind in KIND_NAMES:
            by_kind.setdefault(obligation.kind, set()).add(obligation.ref)
    found: dict[tuple[str, str], Picture] = {}
    for kind, refs in by_kind.items():
        loaded = await duty_pictures.load(session, kind=kind, refs=sorted(refs), defaults=defaults)
        found.update(((kind, ref), picture) for ref, picture in loaded.items())
    return found


def _kind_text(kind: str) -> Text:
    return Text(f"pending.kind_{kind}") if kind in KIND_NAMES else Text("pending.kind_other", kind=kind)


def _own_line(
    obligation: Obligation, report: Report | None, picture: Picture | None, defaults: Defaults, now: datetime
) -> Line:
    unit = picture.units.get(obligation.unit_id) if picture else None
    due = obligation.due_at.astimezone(defaults.zone(unit.timezone if unit else None)).strftime("%m-%d %H:%M")
    late = Text("pending.late") if obligation.due_at < now else ""
    kind = _kind_text(obligation.kind)
    if report is not None:
        return Text("pending.obligation_report", kind=kind, number=report.number, due=due, late=late)
    unit_name = picture.unit_name(obligation.unit_id) if picture else obligation.unit_id
    return Text("pending.obligation", kind=kind, unit=unit_name, due=due, late=late)


def _own_rows(obligation: Obligation, picture: Picture | None) -> tuple[tuple[Action, ...], ...]:
    duty = picture.by_id.get(obligation.id or 0) if picture else None
    view = kinds.get(obligation.kind).reminder(picture, duty) if picture and duty else None
    rows = view.actions if view is not None else ()
    if not rows and obligation.kind == QUIZ:
        rows = ((Action(Text("pending.quiz_start"), QUIZ_START, ""),),)
    return rows


async def mine(
    session: AsyncSession,
    actor: Actor,
    *,
    now: datetime,
    defaults: Defaults,
    skip_refs: set[tuple[str, str]],
) -> list[Item]:
    """My open obligations (as their subject), but those listed already as something else."""
    obligations = [
        o
        for o in await rr.open_obligations_of(session, person_id=actor.person_id)
        if (o.kind, o.ref) not in skip_refs
    ]
    pictures = await _pictures(session, obligations, defaults)
    reports = await rr.reports_by_ids(
        session, report_ids=[i for o in obligations if (i := _report_id(o.ref)) is not None]
    )
    items = []
    for obligation in obligations:
        picture = pictures.get((obligation.kind, obligation.ref))
        report = reports.get(_report_id(obligation.ref) or 0)
        line = _own_line(obligation, report, picture, defaults, now)
        rows = _own_rows(obligation, picture)
        items.append(Item(obligation.due_at, (line,), rows, f"o{obligation.id or 0:010d}"))
    return items


async def theirs(session: AsyncSession, actor: Actor, *, defaults: Defaults) -> list[Item]:
    """Others' open obligations escalated to me, an item per digest group (GROUP_ROWS people at most)."""
    obligations = await pq.waiting_on_recipient(session, person_id=actor.person_id)
    pictures = await _pictures(session, obligations, defaults)
    groups: dict[tuple[str, str, str], list[Obligation]] = {}
    for obligation in obligations:
        groups.setdefault((obligation.kind, obligation.ref, obligation.unit_id), []).append(obligation)
    items = []
    for (kind, ref, unit_id), members in groups.items():
        picture = pictures.get((kind, ref))
        if picture is None:
            continue  # the reference is gone (a deleted shift): nothing to act on
        duties = [d for o in members if (d := picture.by_id.get(o.id or 0)) is not None and d.state == "open"]
        for start in range(0, len(duties), GROUP_ROWS):
            chunk = duties[start : start + GROUP_ROWS]
            items.append(_group_item(picture, unit_id, chunk, key=f"d{kind}:{ref}:{unit_id}:{start:04d}"))
    return items


def _group_item(picture: Picture, unit_id: str, duties: Sequence, *, key: str) -> Item:
    kind = kinds.get(picture.kind)
    title, _ = kind.digest_lines(picture, unit_id)
    lines: list[Line] = [Text("pending.escalated", title=title)]
    if getattr(kind, "lists_subjects", True):
        lines.append(Text("pending.waiting", names=Join(tuple(picture.name(d.subject_id) for d in duties))))
    rows = tuple(
        tuple(
            Action(Text(a.label, name=picture.name(d.subject_id)), OBLIGATION_ACTION, f"{d.id}.{a.op}")
            for a in kind.actions
        )
        for d in duties
    )
    return Item(min(d.due_at for d in duties), tuple(lines), rows, key)
