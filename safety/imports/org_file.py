"""Validation of the organisation file (`safetybot import org`), format in DESIGN.md "Public contract".

The whole file is checked before anything is stored and every problem names its line. Unknown keys are
errors, never silently ignored: a misspelt `chekin` would otherwise leave a team without a schedule.
Units may be nested with `children` or given flat with `parent: ID` (both at once must agree); parents must
be units of the same file, because the file describes the whole tree. People must belong to a unit of the
file. If the file has no `people` key, people are left as they are, and a unit may then only be left out
of the file (deactivated) when no active person belongs to it. A unit's stored time zone is its own, else
its parent's, else the file's `timezone`, else None (meaning SAFETYBOT_TIMEZONE). Escalation storage: see
safety.imports.escalation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from yaml.nodes import Node

from safety.imports.escalation import merge_policies, parse_policy
from safety.imports.fields import (
    TIMEZONE_MAX,
    UNIT_ID_MAX,
    UNIT_NAME_MAX,
    check_id,
    check_name,
    check_time,
    check_timezone,
)
from safety.imports.people import RawPerson, TodayOf, validate_people
from safety.imports.plan import OrgPlan, PersonSpec, UnitSpec
from safety.imports.problems import Problem, problem, sorted_problems
from safety.imports.schedules import parse_checkin, parse_group_chat
from safety.imports.yamlnodes import NodeReader, compose, line_of
from safety.roles import ROLES

# a time zone (None: the SAFETYBOT_TIMEZONE default) -> today's date there
TodayIn = Callable[[str | None], date]

TOP_KEYS = ("timezone", "units", "people", "escalation")
UNIT_KEYS = (
    "id",
    "name",
    "parent",
    "timezone",
    "checkin",
    "escalation",
    "group_chat",
    "inspection",
    "children",
)
INSPECTION_KEYS = ("every", "due", "by")
INSPECTION_EVERY = ("daily", "monthly")
PERSON_KEYS = (
    "employee_no",
    "name",
    "phone",
    "unit",
    "roles",
    "cleared_on",
    "wecom_userid",  # safety.imports.channel_columns
    "preferred_channel",
)
PERSON_TEXTS = tuple(k for k in PERSON_KEYS if k != "roles")


@dataclass
class _Draft:
    id: str
    name: str | None
    line: int
    nested_parent: str | None
    parent: str | None
    parent_line: int
    timezone: str | None
    checkin: dict[str, Any] | None
    escalation: dict[str, Any] | None
    group_chat: str | None = None
    inspection: dict[str, Any] | None = None


def parse_org(text: str, *, today_in: TodayIn | None = None) -> OrgPlan | tuple[Problem, ...]:
    """A validated plan, or every problem found in the file (sorted by line). `today_in`: the clock that
    refuses a cleared_on in the future, in each person's unit's time zone (None: not checked)."""
    root, problems = compose(text)
    if root is None:
        return tuple(problems)
    reader = NodeReader()
    top = reader.mapping(root, "file", TOP_KEYS, required=("units",))
    if top is None:
        return sorted_problems(reader.problems)
    timezone = _timezone(reader, top.get("timezone"))
    org_policy = parse_policy(reader, top["escalation"], "escalation") if "escalation" in top else None
    drafts: list[_Draft] = []
    units_line = line_of(top["units"]) if "units" in top else 1
    if "units" in top:
        _walk_units(reader, top["units"], None, drafts)
        if not drafts and not reader.problems:
            reader.add(units_line, "empty_list", field="units")
    units = _link_units(reader, drafts, timezone, org_policy)
    people = None
    if "people" in top:
        today_of = _today_of(today_in, {u.id: u.timezone for u in units or []}, timezone)
        people = _people(reader, top["people"], {d.id for d in drafts}, today_of)
    if reader.problems or units is None:
        return sorted_problems(reader.problems)
    return OrgPlan(
        timezone, tuple(units), tuple(people) if people is not None else None, org_policy, units_line
    )


def _today_of(today_in: TodayIn | None, zones: dict[str, str | None], default: str | None) -> TodayOf | None:
    """Today in a unit's zone (its own or inherited; the file's while the tree is invalid)."""
    if today_in is None:
        return None
    return lambda unit_id: today_in(zones.get(unit_id, default))


def _timezone(reader: NodeReader, node: Node | None) -> str | None:
    if node is None:
        return None
    value = reader.text(node, "timezone", TIMEZONE_MAX)
    return check_timezone(value, line_of(node), reader.problems) if value is not None else None


def _walk_units(reader: NodeReader, node: Node, nested_parent: str | None, out: list[_Draft]) -> None:
    items = reader.sequence(node, "units" if nested_parent is None else "children")
    for item in items or []:
        keys = reader.mapping(item, "unit", UNIT_KEYS, required=("id", "name"))
        if keys is None:
            continue
        line = line_of(item)
        unit_id = reader.text(keys["id"], "id") if "id" in keys else None
        if unit_id is not None:
            unit_id = check_id(unit_id, "id", UNIT_ID_MAX, line_of(keys["id"]), reader.problems)
        name = reader.text(keys["name"], "name") if "name" in keys else None
        if name is not None:
            name = check_name(name, "name", UNIT_NAME_MAX, line_of(keys["name"]), reader.problems)
        parent = reader.text(keys["parent"], "parent") if "parent" in keys else None
        draft = _Draft(
            id=unit_id or "",
            name=name,
            line=line,
            nested_parent=nested_parent,
            parent=parent,
            parent_line=line_of(keys["parent"]) if "parent" in keys else line,
            timezone=_timezone(reader, keys.get("timezone")),
            checkin=parse_checkin(reader, keys["checkin"]) if "checkin" in keys else None,
            escalation=parse_policy(reader, keys["escalation"], "escalation")
            if "escalation" in keys
            else None,
            group_chat=parse_group_chat(reader, keys["group_chat"]) if "group_chat" in keys else None,
            inspection=parse_inspection(reader, keys["inspection"]) if "inspection" in keys else None,
        )
        if unit_id is not None:
            out.append(draft)
        if "children" in keys:
            _walk_units(reader, keys["children"], unit_id, out)


def _link_units(
    reader: NodeReader, drafts: list[_Draft], timezone: str | None, org_policy: dict[str, Any] | None
) -> list[UnitSpec] | None:
    """Duplicates, parents, cycles; then the specs with effective time zones and policies."""
    first_line: dict[str, int] = {}
    firsts: dict[str, _Draft] = {}
    for draft in drafts:
        if draft.id in firsts:
            reader.add(draft.line, "duplicate_unit", id=draft.id, first_line=first_line[draft.id])
        else:
            firsts[draft.id] = draft
            first_line[draft.id] = draft.line
    parents: dict[str, str | None] = {}
    for draft in firsts.values():
        parent = draft.nested_parent
        if draft.parent is not None:
            if parent is not None and draft.parent != parent:
                reader.add(
                    draft.parent_line, "parent_conflict", id=draft.id, nested=parent, parent=draft.parent
                )
            elif draft.parent not in first_line:
                reader.add(draft.parent_line, "unknown_unit", id=draft.parent)
            parent = draft.parent
        parents[draft.id] = parent if parent in first_line else None
    _report_cycles(reader, parents, first_line)
    if reader.problems:
        return None
    zones: dict[str, str | None] = {}

    def zone(unit_id: str) -> str | None:
        if unit_id not in zones:
            own = by_id[unit_id].timezone
            parent_id = parents[unit_id]
            zones[unit_id] = own or (zone(parent_id) if parent_id else timezone)
        return zones[unit_id]

    by_id = {d.id: d for d in drafts}
    specs = []
    for order, draft in enumerate(drafts):
        parent_id = parents[draft.id]
        policy = merge_policies(org_policy, draft.escalation) if parent_id is None else draft.escalation
        assert draft.name is not None
        specs.append(
            UnitSpec(
                draft.id,
                draft.name,
                parent_id,
                zone(draft.id),
                draft.checkin,
                policy,
                order,
                draft.line,
                draft.group_chat,
                draft.inspection,
            )
        )
    return specs


def parse_inspection(reader: NodeReader, node: Node) -> dict[str, Any] | None:
    """A required inspection `{every: daily|monthly, due: "HH:MM", by: ROLE}`: a missing one is an
    obligation of the nearest holders of `by` (safety.inspections.requirements)."""
    keys = reader.mapping(node, "inspection", INSPECTION_KEYS, required=INSPECTION_KEYS)
    if keys is None or any(k not in keys for k in INSPECTION_KEYS):
        return None
    before = len(reader.problems)
    every = reader.text(keys["every"], "every")
    if every is not None and every not in INSPECTION_EVERY:
        reader.add(
            line_of(keys["every"]), "bad_inspection_every", value=every, allowed=", ".join(INSPECTION_EVERY)
        )
    due = reader.text(keys["due"], "due")
    due = check_time(due, "due", line_of(keys["due"]), reader.problems) if due is not None else None
    role = reader.text(keys["by"], "by")
    if role is not None and role not in ROLES:
        reader.add(line_of(keys["by"]), "unknown_role", role=role, allowed=", ".join(sorted(ROLES)))
    if len(reader.problems) != before or every is None or due is None or role is None:
        return None
    return {"every": every, "due": due, "by": role}


def _report_cycles(reader: NodeReader, parents: dict[str, str | None], first_line: dict[str, int]) -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in parents:
        path: list[str] = []
        node: str | None = start
        while node is not None and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = parents.get(node)
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node) :]
            first = min(cycle, key=lambda u: first_line[u])
            turn = cycle.index(first)
            ordered = [*cycle[turn:], *cycle[:turn], first]
            reader.add(first_line[first], "unit_cycle", cycle=" → ".join(ordered))
        for visited in path:
            state[visited] = 2


def _people(
    reader: NodeReader, node: Node, known_units: set[str], today_of: TodayOf | None
) -> list[PersonSpec] | None:
    items = reader.sequence(node, "people")
    if items is None:
        return None
    raws: list[RawPerson] = []
    for item in items:
        keys = reader.mapping(item, "person", PERSON_KEYS)
        if keys is None:
            continue
        texts = {k: reader.text(keys[k], k) for k in PERSON_TEXTS if k in keys}
        roles = reader.texts(keys["roles"], "roles") if "roles" in keys else []
        raws.append(
            RawPerson(
                line=line_of(item),
                employee_no=texts.get("employee_no"),
                name=texts.get("name"),
                phone=texts.get("phone"),
                unit=texts.get("unit"),
                roles=roles or [],
                unit_line=line_of(keys["unit"]) if "unit" in keys else None,
                cleared_on=texts.get("cleared_on"),
                cleared_on_line=line_of(keys["cleared_on"]) if "cleared_on" in keys else None,
                wecom_userid=texts.get("wecom_userid"),
                preferred_channel=texts.get("preferred_channel"),
            )
        )

    def check_unit(unit_id: str, line: int) -> Problem | None:
        return None if unit_id in known_units else problem(line, "unknown_unit", id=unit_id)

    return validate_people(raws, check_unit, reader.problems, today_of=today_of)
