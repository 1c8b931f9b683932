"""Queries of report category lists: the list of a kind in force on a date, a list's categories, and the
replacement of one list (import by list id)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Category, CategoryList


async def in_force(session: AsyncSession, *, kind: str, on: date) -> CategoryList | None:
    """The imported list of `kind` with the latest effective_from on or before `on`."""
    query = (
        select(CategoryList)
        .where(CategoryList.kind == kind, col(CategoryList.effective_from) <= on)
        .order_by(col(CategoryList.effective_from).desc(), col(CategoryList.id))
        .limit(1)
    )
    return (await session.exec(query)).first()


async def get_list(session: AsyncSession, list_id: str) -> CategoryList | None:
    return await session.get(CategoryList, list_id)


async def categories_of(session: AsyncSession, *, list_id: str) -> list[Category]:
    query = select(Category).where(Category.list_id == list_id).order_by(col(Category.position))
    return list((await session.exec(query)).all())


async def replace_list(
    session: AsyncSession,
    *,
    list_id: str,
    kind: str,
    name: str,
    effective_from: date,
    source: str | None,
    categories: Sequence[tuple[str, str]],
) -> str:
    """Make the stored list `list_id` exactly this one (its categories replaced); returns created, updated
    or unchanged."""
    row = await session.get(CategoryList, list_id)
    wanted = [(code, name_) for code, name_ in categories]
    if row is not None:
        stored = [(c.code, c.name) for c in await categories_of(session, list_id=list_id)]
        same = (row.kind, row.name, row.effective_from, row.source) == (kind, name, effective_from, source)
        if same and stored == wanted:
            return "unchanged"
        row.kind, row.name, row.effective_from, row.source = kind, name, effective_from, source
        session.add(row)
        await session.exec(delete(Category).where(col(Category.list_id) == list_id))
        outcome = "updated"
    else:
        session.add(
            CategoryList(id=list_id, kind=kind, name=name, effective_from=effective_from, source=source)
        )
        outcome = "created"
    await session.flush()
    for position, (code, category_name) in enumerate(wanted):
        session.add(Category(list_id=list_id, code=code, name=category_name, position=position))
    await session.flush()
    return outcome
