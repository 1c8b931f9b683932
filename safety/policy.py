"""Escalation policies: each kind's default (its module's `default_policy`), overridden by the org file (per
unit, nearest first)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from safety import kinds

_DURATION = TypeAdapter(timedelta)


@dataclass(frozen=True)
class Step:
    after: timedelta
    to: str  # "self", "group" or a role key


def parse_steps(raw: Iterable[Mapping[str, Any]]) -> tuple[Step, ...]:
    steps = []
    for item in raw:
        try:
            after = _DURATION.validate_python(str(item["after"]))
        except ValidationError as exc:
            raise ValueError(f"bad escalation step {item!r}") from exc
        steps.append(Step(after=after, to=str(item["to"])))
    return tuple(steps)


def resolve_policy(chain: Iterable[Mapping[str, Any] | None], kind: str) -> list[dict[str, str]] | None:
    """The steps for `kind` from the `escalation` values of a unit and its ancestors (nearest first), as
    the org import stores them; None: the kind's default applies."""
    for policy in chain:
        if policy and kind in policy:
            return list(policy[kind])
    return None


def policy_for(chain: Iterable[Mapping[str, Any] | None], kind: str) -> tuple[Step, ...]:
    """The steps for `kind` given the `escalation` values of a unit and its ancestors, nearest first."""
    return parse_steps(resolve_policy(chain, kind) or kinds.get(kind).default_policy)


def highest_due_step(steps: tuple[Step, ...], *, since_due: timedelta, level: int) -> int | None:
    """The highest step index above `level` whose time has come, or None. Catch-up sends only this one."""
    due = [i for i, step in enumerate(steps) if step.after <= since_due and i > level]
    return max(due) if due else None


def next_step_offset(steps: tuple[Step, ...], level: int) -> timedelta | None:
    """How long after the due time the step after `level` fires, or None when the policy is exhausted."""
    return steps[level + 1].after if level + 1 < len(steps) else None
