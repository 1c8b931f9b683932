"""What a validated import file asks for, as plain data (no database, no YAML)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class UnitSpec:
    """A unit as it should be stored. `timezone` is the effective zone (own, else inherited, else the
    file's; None means the SAFETYBOT_TIMEZONE default); `escalation` is what the unit stores (see
    safety.imports.escalation)."""

    id: str
    name: str
    parent_id: str | None
    timezone: str | None
    checkin: dict[str, Any] | None
    escalation: dict[str, Any] | None
    sort_order: int
    line: int
    group_chat_id: str | None = None
    inspection: dict[str, Any] | None = None  # a required inspection {every, due, by}


@dataclass(frozen=True)
class PersonSpec:
    """A person as they should be stored; `roles` all attach to `unit_id`. `cleared_on`: the date of a
    ten-prohibitions exam passed outside the bot (safety.prior_clearance), None when the file gives none.
    `wecom_userid`, `preferred_channel`: see safety.imports.channel_columns."""

    employee_no: str
    name: str
    phone: str | None
    unit_id: str
    roles: tuple[str, ...]
    line: int
    cleared_on: date | None = None
    wecom_userid: str | None = None  # None: the employee_no (safety.imports.channel_columns)
    preferred_channel: str | None = None  # None: the stored choice stays


@dataclass(frozen=True)
class OrgPlan:
    """A valid org file. `people` is None when the file has no `people` key (people are then left alone)."""

    timezone: str | None
    units: tuple[UnitSpec, ...]
    people: tuple[PersonSpec, ...] | None
    escalation: dict[str, Any] | None
    units_line: int
