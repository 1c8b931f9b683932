"""Escalation policies: parsing them from the org file, and where they are stored.

Storage choice: a policy is a JSON object `{kind: [{"after": "PT15M", "to": "team_leader"}, ...]}` (`after`
in canonical ISO-8601, as pydantic writes a timedelta) kept in `Unit.escalation`. The org-level `escalation`
block is stored on every top-level unit, merged per kind under that unit's own block (the unit's own kinds
win); other units store only their own block. The policy that applies to a unit for one kind is therefore
the first one found walking from the unit up to its root (`safety.policy.resolve_policy`), and the kind's
default applies when none is found. Re-importing recomputes the same JSON, so it stays idempotent.

The kinds a policy may name are the duty kinds that have a module (`safety.kinds.KIND_NAMES`): a policy for
any other kind (one whose feature has not landed, or a typo) is an import error naming the known kinds,
never a policy that silently does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yaml.nodes import Node

from safety.imports.fields import format_duration, parse_duration
from safety.imports.yamlnodes import NodeReader, line_of
from safety.kinds import KIND_NAMES
from safety.roles import ROLES

ESCALATION_KINDS = KIND_NAMES
SPECIAL_TARGETS = ("self", "group")
TARGETS = frozenset(SPECIAL_TARGETS) | ROLES


def parse_policy(reader: NodeReader, node: Node, field: str) -> dict[str, Any] | None:
    """An `escalation` block: kinds to ordered steps. Returns None (with problems recorded) if invalid."""
    kinds = reader.mapping(node, field, ESCALATION_KINDS, unknown_code="unknown_escalation_kind")
    if kinds is None:
        return None
    before = len(reader.problems)
    policy: dict[str, Any] = {}
    for kind in ESCALATION_KINDS:
        if kind in kinds:
            steps = _parse_steps(reader, kinds[kind], f"{field}.{kind}", kind)
            if steps is not None:
                policy[kind] = steps
    return policy if len(reader.problems) == before else None


def _parse_steps(reader: NodeReader, node: Node, field: str, kind: str) -> list[dict[str, str]] | None:
    items = reader.sequence(node, field)
    if items is None:
        return None
    if not items:
        reader.add(line_of(node), "empty_list", field=field)
        return None
    steps: list[dict[str, str]] = []
    previous = None
    ok = True
    for item in items:
        keys = reader.mapping(item, field, ("after", "to"), required=("after", "to"))
        if keys is None or "after" not in keys or "to" not in keys:
            ok = False
            continue
        after_text = reader.text(keys["after"], f"{field}.after")
        target = reader.text(keys["to"], f"{field}.to")
        delay = parse_duration(after_text) if after_text is not None else None
        if after_text is not None and delay is None:
            reader.add(line_of(keys["after"]), "bad_duration", value=after_text)
        if target is not None and target not in TARGETS:
            allowed = ", ".join(sorted(ROLES))
            reader.add(line_of(keys["to"]), "bad_escalation_target", value=target, allowed=allowed)
            target = None
        if delay is None or target is None:
            ok = False
            continue
        if previous is not None and delay < previous:
            reader.add(line_of(item), "steps_out_of_order", kind=kind)
            ok = False
        previous = delay
        steps.append({"after": format_duration(delay), "to": target})
    return steps if ok else None


def merge_policies(
    org_level: Mapping[str, Any] | None, own: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """What a top-level unit stores: the org-level kinds, overridden kind by kind by the unit's own."""
    merged = {**(org_level or {}), **(own or {})}
    return merged or None
