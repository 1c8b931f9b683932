"""Report categories as data with an effective date (DOMAIN.md §4): the list of a kind in force on a
report's local date is the imported one with the latest `effective_from` on or before that date, else the
built-in default (safety/reports/data/: GB 6441-86's 20 accident categories, a sample hazard list). Near
misses are classed like accidents; violations have no category. Reports record the list id with the code
and the name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.imports.categories_file import CategoryListSpec, parse_categories
from safety.imports.results import ImportRejected
from safety.reports.rules import Kind
from storage import category_queries as cq

DATA_DIR = Path(__file__).parent / "data"
BUILT_IN_FILES = ("gb6441-1986.yaml", "hazard-sample.yaml")
LIST_KIND = {Kind.ACCIDENT: "accident", Kind.NEAR_MISS: "accident", Kind.HAZARD: "hazard"}


@dataclass(frozen=True)
class CategoryItem:
    code: str
    name: str


@dataclass(frozen=True)
class CategoryListView:
    """A category list as offered: which list (id, name: shown on the category screen) and its items."""

    id: str
    kind: str
    name: str
    effective_from: date
    source: str | None
    categories: tuple[CategoryItem, ...]
    built_in: bool = False

    def find(self, code_or_name: str) -> CategoryItem | None:
        """The item with this code, or with this exact name (a typed answer)."""
        wanted = code_or_name.strip()
        return next((c for c in self.categories if wanted in (c.code, c.name)), None)


def needs_category(kind: str) -> bool:
    return kind in LIST_KIND


def _view(spec: CategoryListSpec, *, built_in: bool) -> CategoryListView:
    items = tuple(CategoryItem(code, name) for code, name in spec.categories)
    return CategoryListView(spec.id, spec.kind, spec.name, spec.effective_from, spec.source, items, built_in)


@cache
def built_in_lists() -> dict[str, CategoryListView]:
    """The shipped default lists by list kind (read once; a broken data file is a bug and raises)."""
    out: dict[str, CategoryListView] = {}
    for name in BUILT_IN_FILES:
        specs = parse_categories((DATA_DIR / name).read_text(encoding="utf-8"))
        if isinstance(specs, ImportRejected):
            raise ValueError(f"{name}: {[p.message for p in specs.problems]}")
        for spec in specs:
            out[spec.kind] = _view(spec, built_in=True)
    return out


async def list_in_force(session: AsyncSession, kind: str, on: date) -> CategoryListView:
    """The list offered for a report of `kind` dated `on` (its local date); raises KeyError for a kind
    without categories (violations)."""
    list_kind = LIST_KIND[Kind(kind)]
    row = await cq.in_force(session, kind=list_kind, on=on)
    if row is None:
        return built_in_lists()[list_kind]
    return await _stored(session, row.id) or built_in_lists()[list_kind]


async def list_by_id(session: AsyncSession, list_id: str) -> CategoryListView | None:
    """A list by id, imported or built in (a draft keeps the id of the list it offered)."""
    stored = await _stored(session, list_id)
    if stored is not None:
        return stored
    return next((v for v in built_in_lists().values() if v.id == list_id), None)


async def _stored(session: AsyncSession, list_id: str) -> CategoryListView | None:
    row = await cq.get_list(session, list_id)
    if row is None:
        return None
    items = tuple(CategoryItem(c.code, c.name) for c in await cq.categories_of(session, list_id=row.id))
    return CategoryListView(row.id, row.kind, row.name, row.effective_from, row.source, items)
