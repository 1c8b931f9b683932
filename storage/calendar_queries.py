"""Queries on the imported official calendar (`official_days`): one row per holiday or 调休 working day.

`name` holds the holiday id of the day (`spring_festival`, …; see safety.calendar.HOLIDAY_IDS): the holiday
itself for a rest day, the holiday it makes up for on a 调休 working day. Only years that were imported
with `safetybot import holidays` have rows; a year with rows counts as imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OfficialDay


@dataclass(frozen=True)
class YearChange:
    """What `replace_year` did to the rows of one year."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


async def official_days(session: AsyncSession, *, year: int | None = None) -> list[OfficialDay]:
    """The imported days of one year, or of every year, in date order."""
    query = select(OfficialDay).order_by(col(OfficialDay.day))
    if year is not None:
        query = query.where(col(OfficialDay.year) == year)
    return list((await session.exec(query)).all())


async def imported_years(session: AsyncSession) -> list[int]:
    query = select(OfficialDay.year).distinct().order_by(col(OfficialDay.year))
    return [int(y) for y in (await session.exec(query)).all()]


async def replace_year(
    session: AsyncSession, *, year: int, days: Sequence[tuple[date, bool, str | None]]
) -> YearChange:
    """Make the rows of `year` exactly `days` (day, is_workday, name), in the caller's transaction.

    Rows are compared first, so replacing a year with the same days writes nothing.
    """
    wanted: dict[date, tuple[bool, str | None]] = {}
    for day, is_workday, name in days:
        if day.year != year:
            raise ValueError(f"{day} is not in {year}")
        if day in wanted:
            raise ValueError(f"{day} is given twice")
        wanted[day] = (is_workday, name)
    existing = {row.day: row for row in await official_days(session, year=year)}
    created = updated = deleted = unchanged = 0
    for day, row in existing.items():
        if day not in wanted:
            await session.delete(row)
            deleted += 1
    for day, (is_workday, name) in sorted(wanted.items()):
        current = existing.get(day)
        if current is None:
            session.add(OfficialDay(day=day, year=year, is_workday=is_workday, name=name))
            created += 1
        elif (current.is_workday, current.name) != (is_workday, name):
            current.is_workday, current.name = is_workday, name
            updated += 1
        else:
            unchanged += 1
    await session.flush()
    return YearChange(created=created, updated=updated, deleted=deleted, unchanged=unchanged)
