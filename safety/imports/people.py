"""Validation of people, shared by the org file and the roster."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from safety.imports.channel_columns import ChannelColumns
from safety.imports.fields import (
    EMPLOYEE_NO_MAX,
    PERSON_NAME_MAX,
    check_id,
    check_name,
    check_past_date,
    check_phone,
    check_roles,
    mask_phone,
)
from safety.imports.plan import PersonSpec
from safety.imports.problems import Problem, ProblemSink, problem

# (unit id, line) -> a problem, or None when the unit is acceptable
UnitCheck = Callable[[str, int], Problem | None]
# unit id -> today's date in that unit's time zone (a cleared_on after it is in the future)
TodayOf = Callable[[str], date]


@dataclass
class RawPerson:
    """A person as read from a file: texts (None when absent) and the line of each item."""

    line: int
    employee_no: str | None
    name: str | None
    phone: str | None
    unit: str | None
    roles: list[tuple[str, int]] = field(default_factory=list)
    unit_line: int | None = None
    cleared_on: str | None = None  # the date of an exam passed outside the bot (see safety.prior_clearance)
    cleared_on_line: int | None = None
    wecom_userid: str | None = None  # the WeCom member account (None: the employee_no)
    preferred_channel: str | None = None  # telegram | wecom (None: the stored choice stays)


def validate_people(
    raws: Iterable[RawPerson],
    check_unit: UnitCheck | None,
    problems: ProblemSink,
    *,
    today_of: TodayOf | None = None,
) -> list[PersonSpec]:
    """Every person checked on its own, then duplicates of employee_no and phone across the file; the
    people are valid when no problem was added. `raws` may be a file being read: once a problem is found
    the file will be refused, so people are no longer collected (memory stays bounded), only checked.
    `today_of` None: cleared_on is not checked against a clock (it must still be a date)."""
    people: list[PersonSpec] = []
    seen_no: dict[str, int] = {}
    seen_phone: dict[str, int] = {}
    channels = ChannelColumns()
    for raw in raws:
        employee_no = None
        if raw.employee_no is None:
            problems.append(problem(raw.line, "missing_field", field="employee_no"))
        else:
            employee_no = check_id(raw.employee_no, "employee_no", EMPLOYEE_NO_MAX, raw.line, problems)
        if employee_no is not None:
            if employee_no in seen_no:
                first = seen_no[employee_no]
                problems.append(
                    problem(raw.line, "duplicate_employee_no", employee_no=employee_no, first_line=first)
                )
            else:
                seen_no[employee_no] = raw.line
        name = None
        if raw.name is None:
            problems.append(problem(raw.line, "missing_field", field="name"))
        else:
            name = check_name(raw.name, "name", PERSON_NAME_MAX, raw.line, problems)
        phone = None
        if raw.phone:
            phone = check_phone(raw.phone, raw.line, problems)
            if phone is not None:
                if phone in seen_phone:
                    problems.append(
                        problem(
                            raw.line, "duplicate_phone", phone=mask_phone(phone), first_line=seen_phone[phone]
                        )
                    )
                else:
                    seen_phone[phone] = raw.line
        unit = raw.unit
        if unit is None:
            problems.append(problem(raw.line, "person_without_unit", employee_no=raw.employee_no or "?"))
        elif check_unit is not None:
            found = check_unit(unit, raw.unit_line or raw.line)
            if found is not None:
                problems.append(found)
        roles = check_roles(raw.roles, raw.line, problems)
        cleared_on = None
        if raw.cleared_on:
            today = today_of(unit) if today_of is not None and unit is not None else None
            line = raw.cleared_on_line or raw.line
            cleared_on = check_past_date(raw.cleared_on, "cleared_on", line, problems, today=today)
        wecom_userid = channels.wecom_userid(
            raw.wecom_userid, employee_no=employee_no, line=raw.line, problems=problems
        )
        preferred = channels.preferred_channel(raw.preferred_channel, line=raw.line, problems=problems)
        if problems:
            people.clear()
        elif employee_no and name and unit and roles:
            people.append(
                PersonSpec(
                    employee_no, name, phone, unit, roles, raw.line, cleared_on, wecom_userid, preferred
                )
            )
    return people
