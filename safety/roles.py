"""Roles and what each may do. A person may hold several roles, each attached to a unit."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    STAFF = "staff"
    TEAM_LEADER = "team_leader"
    SAFETY_OFFICER = "safety_officer"
    MANAGER = "manager"
    ADMIN = "admin"


ROLES: frozenset[str] = frozenset(r.value for r in Role)
LEADER_ROLES: frozenset[str] = frozenset({Role.TEAM_LEADER, Role.SAFETY_OFFICER, Role.MANAGER, Role.ADMIN})
