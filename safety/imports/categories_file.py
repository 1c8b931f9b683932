"""Report category lists (`safetybot import categories FILE.yaml`), each with the date it applies from:

```yaml
lists:
  - id: gb6441-2025
    kind: accident                       # accident (also used for near misses) | hazard
    name: GB 6441-2025《生产安全事故分类与编码》
    effective_from: 2026-07-01
    source: 官方文本
    categories: [{code: "01", name: 物体打击}, ...]
```
Every problem is reported with its line before anything is stored: unknown keys, a missing field, a bad
date, a list id used twice, a code used twice in a list, codes that are not short plain words (they travel
in buttons), names with invisible characters. Applying is idempotent by list id: a list imported again
replaces that list's categories; lists not in the file are left alone. The built-in lists
(safety/reports/data/) are files of the same format, read by the same parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession
from yaml.nodes import Node

from safety.imports.fields import check_id, check_name, parse_date
from safety.imports.files import Unreadable, read_text
from safety.imports.results import ImportRejected, rejected
from safety.imports.yamlnodes import NodeReader, compose, line_of
from storage import category_queries, org_queries

TOP_KEYS = ("lists",)
LIST_KEYS = ("id", "kind", "name", "effective_from", "source", "categories")
LIST_REQUIRED = ("id", "kind", "name", "effective_from", "categories")
CATEGORY_KEYS = ("code", "name")
LIST_KINDS = ("accident", "hazard")  # near misses use the accident list; violations have no category
ID_MAX, NAME_MAX, SOURCE_MAX, CODE_MAX, CATEGORY_NAME_MAX = 64, 200, 300, 32, 100
MAX_CATEGORIES = 200
_CODE = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class CategoryListSpec:
    id: str
    kind: str
    name: str
    effective_from: date
    source: str | None
    categories: tuple[tuple[str, str], ...]  # (code, name) in the file's order


@dataclass(frozen=True)
class CategoriesReport:
    """What the import did, per list id: created, updated or unchanged."""

    outcomes: tuple[tuple[CategoryListSpec, str], ...]

    def count(self, outcome: str) -> int:
        return sum(1 for _, o in self.outcomes if o == outcome)


def parse_categories(text: str) -> tuple[CategoryListSpec, ...] | ImportRejected:
    """The validated lists (at least one), or the refusal with every problem found (sorted by line)."""
    root, problems = compose(text)
    if root is None:
        return rejected(problems)
    reader = NodeReader()
    top = reader.mapping(root, "file", TOP_KEYS, required=TOP_KEYS)
    items = reader.sequence(top["lists"], "lists") if top and "lists" in top else None
    if items == [] and top is not None:
        reader.add(line_of(top["lists"]), "empty_list", field="lists")
    specs: list[CategoryListSpec] = []
    seen: dict[str, int] = {}
    for item in items or []:
        spec = _list(reader, item)
        if spec is None:
            continue
        if spec.id in seen:
            reader.add(line_of(item), "duplicate_category_list", id=spec.id, first_line=seen[spec.id])
            continue
        seen[spec.id] = line_of(item)
        specs.append(spec)
    if reader.problems or top is None:
        return rejected(reader.problems)
    return tuple(specs)


def _list(reader: NodeReader, item: Node) -> CategoryListSpec | None:
    keys = reader.mapping(item, "lists", LIST_KEYS, required=LIST_REQUIRED)
    if keys is None:
        return None
    before = len(reader.problems)
    list_id = _checked(reader, keys, "id", ID_MAX, identifier=True)
    name = _checked(reader, keys, "name", NAME_MAX)
    source = _checked(reader, keys, "source", SOURCE_MAX)
    kind = reader.text(keys["kind"], "kind") if "kind" in keys else None
    if kind is not None and kind not in LIST_KINDS:
        reader.add(line_of(keys["kind"]), "bad_category_kind", value=kind, allowed=", ".join(LIST_KINDS))
    effective = reader.text(keys["effective_from"], "effective_from") if "effective_from" in keys else None
    day = parse_date(effective) if effective is not None else None
    if effective is not None and day is None:
        reader.add(line_of(keys["effective_from"]), "bad_date", field="effective_from", value=effective)
    categories = _categories(reader, keys["categories"]) if "categories" in keys else ()
    if len(reader.problems) > before or list_id is None or name is None or kind is None or day is None:
        return None
    return CategoryListSpec(list_id, kind, name, day, source, categories)


def _checked(
    reader: NodeReader, keys: dict[str, Node], field: str, max_len: int, *, identifier: bool = False
) -> str | None:
    if field not in keys:
        return None
    value = reader.text(keys[field], field)
    if value is None:
        return None
    check = check_id if identifier else check_name
    return check(value, field, max_len, line_of(keys[field]), reader.problems)


def _categories(reader: NodeReader, node: Node) -> tuple[tuple[str, str], ...]:
    items = reader.sequence(node, "categories")
    if items is None:
        return ()
    if not items:
        reader.add(line_of(node), "empty_list", field="categories")
    if len(items) > MAX_CATEGORIES:
        reader.add(line_of(node), "too_many_categories", count=len(items), max=MAX_CATEGORIES)
    out: list[tuple[str, str]] = []
    codes: dict[str, int] = {}
    for item in items:
        keys = reader.mapping(item, "categories", CATEGORY_KEYS, required=CATEGORY_KEYS)
        if keys is None:
            continue
        code = reader.text(keys["code"], "code", CODE_MAX) if "code" in keys else None
        name = _checked(reader, keys, "name", CATEGORY_NAME_MAX)
        line = line_of(item)
        if code is not None and not _CODE.match(code):
            reader.add(line, "bad_category_code", value=code)
            continue
        if code is not None and code in codes:
            reader.add(line, "duplicate_category_code", value=code, first_line=codes[code])
            continue
        if code is not None and name is not None:
            codes[code] = line
            out.append((code, name))
    return tuple(out)


async def import_categories_file(
    session: AsyncSession, path: Path, *, channel: str = "cli", actor_id: int | None = None
) -> CategoriesReport | ImportRejected:
    try:
        text = read_text(path)
    except Unreadable as exc:
        return rejected([exc.problem])
    return await import_categories(session, text, source=path.name, channel=channel, actor_id=actor_id)


async def import_categories(
    session: AsyncSession,
    text: str,
    *,
    source: str = "categories.yaml",
    channel: str = "cli",
    actor_id: int | None = None,
) -> CategoriesReport | ImportRejected:
    """Validate the file, then replace each of its lists (by id), in the caller's transaction; one
    AuditEntry (`import.categories`) per applied import."""
    specs = parse_categories(text)
    if isinstance(specs, ImportRejected):
        return specs
    outcomes = []
    for spec in specs:
        outcome = await category_queries.replace_list(
            session,
            list_id=spec.id,
            kind=spec.kind,
            name=spec.name,
            effective_from=spec.effective_from,
            source=spec.source,
            categories=spec.categories,
        )
        outcomes.append((spec, outcome))
    report = CategoriesReport(tuple(outcomes))
    await org_queries.add_audit_entry(
        session,
        action="import.categories",
        channel=channel,
        subject=source[:128],
        detail={"file": source, "lists": {spec.id: outcome for spec, outcome in outcomes}},
        actor_id=actor_id,
    )
    return report
