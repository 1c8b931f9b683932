"""Inspection checklists by topic (`safetybot import checklists FILE.yaml`), for /inspect.

```yaml
source: 示例检查表（非企业正式文本）     # shown by the CLI; say "sample" for sample lists
checklists:
  - id: scaffold
    title: 脚手架搭拆检查
    items: [立杆基础平整坚实、有垫板和扫地杆, 剪刀撑按规定设置]
```
Every problem is reported with its line before anything is stored: unknown keys, a missing or duplicate
`id`, an empty `title`, no items, more than MAX_ITEMS items, an item longer than ITEM_MAX characters, the
same item twice in one checklist, invisible or control characters. Applying is idempotent by `id`: a
checklist is created, updated (title, items) or left unchanged; a checklist missing from a later file is
deactivated (kept, since past inspections refer to it; /inspect no longer offers it) and reactivated when
it comes back. A file without any checklist is refused (it would deactivate them all).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession
from yaml.nodes import Node

from safety.imports.fields import check_id, check_name, check_visible
from safety.imports.files import Unreadable, read_text
from safety.imports.problems import Problem, sorted_problems
from safety.imports.results import EntityCounts, ImportRejected, rejected
from safety.imports.yamlnodes import NodeReader, compose, line_of
from safety.textcheck import plain_spaces
from storage import inspection_queries as iq
from storage import org_queries
from storage.models import Checklist

TOP_KEYS = ("source", "checklists")
CHECKLIST_KEYS = ("id", "title", "items")
ID_MAX, TITLE_MAX, SOURCE_MAX = 64, 200, 300
MAX_ITEMS, ITEM_MAX = 50, 300
SUBJECT_MAX = 128


@dataclass(frozen=True)
class ChecklistSpec:
    id: str
    title: str
    items: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class ChecklistPlan:
    """A validated checklists file."""

    source: str | None
    checklists: tuple[ChecklistSpec, ...]


@dataclass(frozen=True)
class ChecklistsReport:
    plan: ChecklistPlan
    counts: EntityCounts


def parse_checklists(text: str) -> ChecklistPlan | tuple[Problem, ...]:
    """A validated plan, or every problem found in the file (sorted by line)."""
    root, problems = compose(text)
    if root is None:
        return tuple(problems)
    reader = NodeReader()
    top = reader.mapping(root, "file", TOP_KEYS, required=("checklists",))
    if top is None:
        return sorted_problems(reader.problems)
    source = _source(reader, top["source"]) if "source" in top else None
    specs = _checklists(reader, top["checklists"]) if "checklists" in top else []
    if reader.problems:
        return sorted_problems(reader.problems)
    return ChecklistPlan(source=source, checklists=tuple(specs))


def _source(reader: NodeReader, node: Node) -> str | None:
    value = reader.text(node, "source", SOURCE_MAX)
    return check_visible(value, "source", line_of(node), reader.problems) if value is not None else None


def _checklists(reader: NodeReader, node: Node) -> list[ChecklistSpec]:
    items = reader.sequence(node, "checklists")
    if items is None:
        return []
    if not items:
        reader.add(line_of(node), "empty_list", field="checklists")
    specs: list[ChecklistSpec] = []
    first_line: dict[str, int] = {}
    for item in items:
        keys = reader.mapping(item, "checklist", CHECKLIST_KEYS, required=CHECKLIST_KEYS)
        if keys is None:
            continue
        checklist_id = reader.text(keys["id"], "id") if "id" in keys else None
        if checklist_id is not None:
            checklist_id = check_id(checklist_id, "id", ID_MAX, line_of(keys["id"]), reader.problems)
        if checklist_id is not None and checklist_id in first_line:
            reader.add(
                line_of(keys["id"]),
                "duplicate_checklist",
                id=checklist_id,
                first_line=first_line[checklist_id],
            )
            checklist_id = None
        elif checklist_id is not None:
            first_line[checklist_id] = line_of(keys["id"])
        title = reader.text(keys["title"], "title") if "title" in keys else None
        if title is not None:
            title = check_name(title, "title", TITLE_MAX, line_of(keys["title"]), reader.problems)
        entries = _items(reader, keys["items"]) if "items" in keys else None
        if checklist_id is not None and title is not None and entries is not None:
            specs.append(ChecklistSpec(checklist_id, title, entries, line_of(item)))
    return specs


def _items(reader: NodeReader, node: Node) -> tuple[str, ...] | None:
    found = reader.texts(node, "items")
    if found is None:
        return None
    before = len(reader.problems)
    if not found:
        reader.add(line_of(node), "empty_list", field="items")
    elif len(found) > MAX_ITEMS:
        reader.add(line_of(node), "too_many_checklist_items", count=len(found), max=MAX_ITEMS)
    seen: dict[str, int] = {}
    out: list[str] = []
    for raw, line in found:
        text = plain_spaces(raw).strip()
        if check_visible(text, "items", line, reader.problems) is None:
            continue
        if len(text) > ITEM_MAX:
            reader.add(line, "too_long", field="items", max=ITEM_MAX)
            continue
        if text in seen:
            reader.add(line, "duplicate_checklist_item", item=text[:40], first_line=seen[text])
            continue
        seen[text] = line
        out.append(text)
    return tuple(out) if len(reader.problems) == before else None


async def apply_checklists(session: AsyncSession, plan: ChecklistPlan) -> EntityCounts:
    """Make the active checklists exactly the plan's (upsert by id; missing ones deactivated)."""
    counts = EntityCounts()
    existing = {c.id: c for c in await iq.all_checklists(session)}
    listed = set()
    for spec in plan.checklists:
        listed.add(spec.id)
        row = existing.get(spec.id)
        if row is None:
            session.add(Checklist(id=spec.id, title=spec.title, items=list(spec.items), active=True))
            counts.created += 1
            continue
        changed = row.title != spec.title or list(row.items) != list(spec.items)
        if changed:
            row.title, row.items = spec.title, list(spec.items)
        if not row.active:
            row.active = True
            counts.reactivated += 1
        elif changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
        session.add(row)
    for checklist_id, row in existing.items():
        if checklist_id not in listed and row.active:
            row.active = False
            session.add(row)
            counts.deactivated += 1
    await session.flush()
    return counts


async def import_checklists_file(
    session: AsyncSession, path: Path, *, channel: str = "cli", actor_id: int | None = None
) -> ChecklistsReport | ImportRejected:
    try:
        text = read_text(path)
    except Unreadable as exc:
        return rejected([exc.problem])
    return await import_checklists(session, text, source=path.name, channel=channel, actor_id=actor_id)


async def import_checklists(
    session: AsyncSession,
    text: str,
    *,
    source: str = "checklists.yaml",
    channel: str = "cli",
    actor_id: int | None = None,
) -> ChecklistsReport | ImportRejected:
    """Validate the file, then apply it in the caller's transaction; one AuditEntry (`import.checklists`)."""
    plan = parse_checklists(text)
    if isinstance(plan, tuple):
        return rejected(plan)
    counts = await apply_checklists(session, plan)
    await org_queries.add_audit_entry(
        session,
        action="import.checklists",
        channel=channel,
        subject=source[:SUBJECT_MAX],
        detail={
            "file": source,
            "source": plan.source,
            "checklists": len(plan.checklists),
            "created": counts.created,
            "updated": counts.updated,
            "deactivated": counts.deactivated,
            "reactivated": counts.reactivated,
            "unchanged": counts.unchanged,
        },
        actor_id=actor_id,
    )
    return ChecklistsReport(plan=plan, counts=counts)
