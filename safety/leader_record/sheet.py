"""The monthly export's 履职记录 sheet: one row per leader in scope — each person holding team_leader,
safety_officer or manager at one of the export's units — with their month's record (safety.leader_record).

`RECORD_SHEET` is a `SheetSource` (safety/export/sheet.py). Rows are produced one leader at a time, so the
sheet holds one person's record in memory, never the month of everyone. Times are medians in minutes;
a group with nothing answered leaves its median empty. Each record runs to the month's end (or to the export's
moment, `RecordSheet(now=...)`, when that is earlier); a leader's unit's time zone decides their month.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.export.sheet import Cell, Column, ExportScope
from safety.leader_record.figures import RECORD_ROLES, record_of
from safety.leader_record.model import (
    ACCIDENTS,
    ASSIGN,
    CARDS,
    DIGESTS,
    LEAVE,
    SHIFTS,
    VERIFY,
    LeaderRecord,
    window,
)
from safety.texts import t
from storage import leader_record_queries as lq

ROLE_ORDER = ("team_leader", "safety_officer", "manager")
COLUMNS: tuple[tuple[str, int], ...] = (
    ("employee_no", 12),
    ("name", 12),
    ("unit", 20),
    ("roles", 16),
    ("cards_read", 10),
    ("cards_deployed", 10),
    ("cards_on_time", 10),
    ("cards_minutes", 12),
    ("accidents", 12),
    ("accidents_minutes", 12),
    ("shifts_confirmed", 10),
    ("shifts_minutes", 12),
    ("digest_remind", 10),
    ("digest_excuse", 10),
    ("digest_handled", 10),
    ("digests_minutes", 12),
    ("leave_decided", 10),
    ("leave_minutes", 12),
    ("assigned", 10),
    ("assign_minutes", 12),
    ("verify_accepted", 10),
    ("verify_rejected", 10),
    ("verify_minutes", 12),
    ("late", 8),
    ("unanswered", 8),
)


def record_cells(record: LeaderRecord) -> list[Cell]:
    """The figures of one record, in the order of COLUMNS after the four naming columns."""
    g = record.groups
    return [
        g[CARDS].parts["read"],
        g[CARDS].parts["deployed"],
        g[CARDS].parts["on_time"],
        g[CARDS].median,
        g[ACCIDENTS].answered,
        g[ACCIDENTS].median,
        g[SHIFTS].answered,
        g[SHIFTS].median,
        g[DIGESTS].parts["remind"],
        g[DIGESTS].parts["excuse"],
        g[DIGESTS].parts["handled"],
        g[DIGESTS].median,
        g[LEAVE].answered,
        g[LEAVE].median,
        g[ASSIGN].answered,
        g[ASSIGN].median,
        g[VERIFY].parts["accepted"],
        g[VERIFY].parts["rejected"],
        g[VERIFY].median,
        sum(group.late for group in g.values()),
        record.unanswered,
    ]


class RecordSheet:
    """`now`: the export's moment, for an export of the month in progress (what is not due yet is not
    counted as unanswered); None: the month is over, every record runs to the month's end."""

    key = "record"

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now

    def columns(self, language: str) -> list[Column]:
        return [Column(t(language, f"export.record_col.{key}"), width) for key, width in COLUMNS]

    async def rows(
        self, session: AsyncSession, scope: ExportScope, language: str
    ) -> AsyncIterator[list[Cell]]:
        """One row per leader of the scope's units, by unit and employee number."""
        names = {u.id: u.name for u in scope.all_units}
        found = await lq.leaders(session, unit_ids=scope.unit_ids, roles=sorted(RECORD_ROLES))
        held: dict[int, tuple[str, str, str, set[str]]] = {}
        for pid, employee_no, name, unit_id, role in found:
            held.setdefault(pid, (employee_no, name, unit_id, set()))[3].add(role)
        for pid, (employee_no, name, unit_id, roles) in held.items():
            zone = scope.zones.get(unit_id, scope.defaults.zone(None))
            _start, after = window(scope.month, zone)
            moment = self.now or scope.now
            now = min(after, moment) if moment is not None else after
            record = await record_of(
                session,
                person_id=pid,
                month=scope.month,
                now=now,
                defaults=scope.defaults,
                units=scope.all_units,
            )
            role_text = t(language, "roles.separator").join(
                t(language, f"roles.{r}") for r in ROLE_ORDER if r in roles
            )
            yield [employee_no, name, names.get(unit_id, unit_id), role_text, *record_cells(record)]


RECORD_SHEET = RecordSheet()
