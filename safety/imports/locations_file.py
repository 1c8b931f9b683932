"""Site locations (`safetybot import locations FILE.yaml`), format in DESIGN.md "Locations".

```yaml
locations:
  - {id: pl-1520-face, name: 1520中段掘进工作面, unit: team-blast}
  - {id: old-shaft, name: 老竖井, unit: team-drill, active: false}   # the poster no longer starts a report
```
The whole file is checked before anything is stored and every problem names its line; unknown keys are
errors. An id is `[a-z0-9][a-z0-9-]*` of at most 40 characters (the deep link `loc-<id>`, see
safety.reports.locations) and appears once; a name is at most 200 characters; ids and names with
invisible or control characters are refused; the unit must be a stored, active unit. Applying is keyed by
id: new ids are added, the others take the file's name, unit and `active` (default true). A stored location
missing from the file is KEPT as it is (reports refer to it): deactivate it with `active: false`.
Importing the same file again changes nothing (one audit entry `import.locations` per applied import).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession
from yaml.nodes import Node

from safety.imports.fields import check_name, check_visible
from safety.imports.files import Unreadable, read_text
from safety.imports.problems import Problem, problem, sorted_problems
from safety.imports.results import EntityCounts, ImportRejected, rejected
from safety.imports.yamlnodes import NodeReader, compose, line_of
from safety.reports.locations import ID_MAX, NAME_MAX, is_location_id
from storage import location_queries, org_queries
from storage.models import Location

TOP_KEYS = ("locations",)
LOCATION_KEYS = ("id", "name", "unit", "active")
TRUE, FALSE = ("true", "yes", "on"), ("false", "no", "off")
SUBJECT_MAX = 128


@dataclass(frozen=True)
class LocationSpec:
    id: str
    name: str
    unit_id: str
    active: bool
    line: int
    unit_line: int


@dataclass(frozen=True)
class LocationsPlan:
    """A validated locations file (units not yet checked against the database)."""

    locations: tuple[LocationSpec, ...]


@dataclass(frozen=True)
class LocationsReport:
    """What the import changed; `kept`: stored locations the file does not list, left as they are."""

    locations: EntityCounts = field(default_factory=EntityCounts)
    kept: int = 0

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"locations": asdict(self.locations)}


def parse_locations(text: str) -> LocationsPlan | tuple[Problem, ...]:
    """A validated plan, or every problem found in the file (sorted by line)."""
    specs, problems = _read(text)
    return sorted_problems(problems) if problems else LocationsPlan(tuple(specs))


def _read(text: str) -> tuple[list[LocationSpec], list[Problem]]:
    """The locations that are valid on their own, and the problems of the others."""
    root, problems = compose(text)
    if root is None:
        return [], problems
    reader = NodeReader()
    top = reader.mapping(root, "file", TOP_KEYS, required=TOP_KEYS)
    if top is None or "locations" not in top:
        return [], reader.problems
    items = reader.sequence(top["locations"], "locations")
    if items is not None and not items:
        reader.add(line_of(top["locations"]), "empty_list", field="locations")
    specs: list[LocationSpec] = []
    first_line: dict[str, int] = {}
    for item in items or []:
        spec = _location(reader, item)
        if spec is None:
            continue
        if spec.id in first_line:
            reader.add(spec.line, "location_duplicate", id=spec.id, first_line=first_line[spec.id])
            continue
        first_line[spec.id] = spec.line
        specs.append(spec)
    return specs, reader.problems


def _location(reader: NodeReader, item: Node) -> LocationSpec | None:
    keys = reader.mapping(item, "locations", LOCATION_KEYS, required=("id", "name", "unit"))
    if keys is None:
        return None
    location_id = _id(reader, keys["id"]) if "id" in keys else None
    name = reader.text(keys["name"], "name") if "name" in keys else None
    if name is not None:
        name = check_name(name, "name", NAME_MAX, line_of(keys["name"]), reader.problems)
    unit = reader.text(keys["unit"], "unit") if "unit" in keys else None
    if unit is not None:
        unit = check_visible(unit, "unit", line_of(keys["unit"]), reader.problems)
    active = _active(reader, keys["active"]) if "active" in keys else True
    if location_id is None or name is None or unit is None or active is None:
        return None
    return LocationSpec(location_id, name, unit, active, line_of(item), line_of(keys["unit"]))


def _id(reader: NodeReader, node: Node) -> str | None:
    value = reader.text(node, "id")
    if value is None or check_visible(value, "id", line_of(node), reader.problems) is None:
        return None
    if len(value) > ID_MAX:
        reader.add(line_of(node), "too_long", field="id", max=ID_MAX)
        return None
    if not is_location_id(value):
        reader.add(line_of(node), "location_bad_id", value=value, max=ID_MAX)
        return None
    return value


def _active(reader: NodeReader, node: Node) -> bool | None:
    value = reader.text(node, "active")
    if value is None:
        return None
    if value.lower() in TRUE + FALSE:
        return value.lower() in TRUE
    reader.add(line_of(node), "location_bad_active", value=value)
    return None


async def _unit_problems(session: AsyncSession, specs: list[LocationSpec]) -> list[Problem]:
    """Every location's unit must be stored and active."""
    units = {u.id: u for u in await org_queries.all_units(session)}
    found: list[Problem] = []
    for spec in specs:
        unit = units.get(spec.unit_id)
        if unit is None:
            found.append(problem(spec.unit_line, "unknown_unit", id=spec.unit_id))
        elif not unit.active:
            found.append(problem(spec.unit_line, "inactive_unit", id=spec.unit_id))
    return found


async def _apply(session: AsyncSession, plan: LocationsPlan) -> LocationsReport:
    stored = {loc.id: loc for loc in await location_queries.all_locations(session)}
    counts = EntityCounts()
    new: list[Location] = []
    for spec in plan.locations:
        before = stored.get(spec.id)
        if before is None:
            new.append(Location(id=spec.id, name=spec.name, unit_id=spec.unit_id, active=spec.active))
            counts.created += 1
            continue
        if (before.name, before.unit_id, before.active) == (spec.name, spec.unit_id, spec.active):
            counts.unchanged += 1
            continue
        if before.active != spec.active:
            counts.reactivated += spec.active
            counts.deactivated += not spec.active
        else:
            counts.updated += 1
        await location_queries.update_location(
            session, location_id=spec.id, name=spec.name, unit_id=spec.unit_id, active=spec.active
        )
    await location_queries.insert_locations(session, locations=new)
    listed = {spec.id for spec in plan.locations}
    kept = sum(1 for loc in stored.values() if loc.id not in listed and loc.active)
    return LocationsReport(locations=counts, kept=kept)


async def import_locations_file(
    session: AsyncSession, path: Path, *, channel: str = "cli", actor_id: int | None = None
) -> LocationsReport | ImportRejected:
    try:
        text = read_text(path)
    except Unreadable as exc:
        return rejected([exc.problem])
    return await import_locations(session, text, source=path.name, channel=channel, actor_id=actor_id)


async def import_locations(
    session: AsyncSession,
    text: str,
    *,
    source: str = "locations.yaml",
    channel: str = "cli",
    actor_id: int | None = None,
) -> LocationsReport | ImportRejected:
    """Validate the file (its units against the database), then apply it in the caller's transaction."""
    specs, problems = _read(text)
    problems = [*problems, *await _unit_problems(session, specs)]
    if problems:
        return rejected(problems)
    plan = LocationsPlan(tuple(specs))
    report = await _apply(session, plan)
    await org_queries.add_audit_entry(
        session,
        action="import.locations",
        channel=channel,
        subject=source[:SUBJECT_MAX],
        detail={"file": source, **asdict(report.locations), "kept": report.kept},
        actor_id=actor_id,
    )
    return report
