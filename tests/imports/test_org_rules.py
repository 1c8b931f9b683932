"""Every validation rule of the org file, checked without a database: the code and the line it names."""

from __future__ import annotations

import pytest

from safety.imports import ESCALATION_KINDS, OrgPlan, parse_org, problem_codes
from safety.imports.problems import Problem, problem
from safety.kinds import KIND_NAMES

HEAD = """\
timezone: Asia/Shanghai
units:
  - id: root
    name: 分公司
    children:
      - id: team
        name: 班组
        checkin: {days: workdays, opens: "07:00", due: "07:30"}
people:
  - {employee_no: E1, name: 甲, unit: team, roles: [staff]}
"""  # 10 lines; appended lines start at 11


def codes(text: str) -> list[tuple[int, str]]:
    result = parse_org(text)
    assert isinstance(result, tuple), "expected the file to be refused"
    for item in result:
        assert item.message  # every problem renders its English text
    return [(p.line, p.code) for p in result]


def plan(text: str) -> OrgPlan:
    result = parse_org(text)
    assert isinstance(result, OrgPlan), [f"{p.line}: {p.message}" for p in result]
    return result


def test_base_file_is_valid() -> None:
    parsed = plan(HEAD)
    assert [u.id for u in parsed.units] == ["root", "team"]
    assert parsed.people is not None and parsed.people[0].roles == ("staff",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "units:\n  - id: a\n    name: [x\n  - id: b\n", [(4, "yaml_syntax")], id="malformed-yaml"
        ),
        pytest.param("units: [\n", [(1, "yaml_syntax")], id="malformed-yaml-at-end"),
        pytest.param("a: 1\n\tb: 2\n", [(2, "yaml_syntax")], id="tab-indent"),
        pytest.param("", [(1, "empty_file")], id="empty"),
        pytest.param("- just\n- a list\n", [(1, "wrong_type")], id="top-level-list"),
        pytest.param("timezone: Asia/Shanghai\n", [(1, "missing_field")], id="no-units"),
        pytest.param("units: []\n", [(1, "empty_list")], id="empty-units"),
        pytest.param(
            HEAD + "  - {employee_no: E2, name: 乙, unit: nowhere, roles: [staff]}\n",
            [(11, "unknown_unit")],
            id="unknown-unit",
        ),
        pytest.param(
            HEAD + "  - {employee_no: E1, name: 乙, unit: team, roles: [staff]}\n",
            [(11, "duplicate_employee_no")],
            id="duplicate-employee-no",
        ),
        pytest.param(
            HEAD + "  - {employee_no: E2, name: 乙, unit: team, roles: [staff, boss]}\n",
            [(11, "unknown_role")],
            id="unknown-role",
        ),
        pytest.param(
            HEAD + "  - {employee_no: E2, name: 乙, roles: [staff]}\n",
            [(11, "person_without_unit")],
            id="person-without-unit",
        ),
        pytest.param(
            HEAD + "  - {employee_no: E2, name: 乙, unit: team}\n", [(11, "missing_field")], id="no-roles"
        ),
        pytest.param(
            HEAD + "  - {employee_no: E2, unit: team, roles: [staff]}\n",
            [(11, "missing_field")],
            id="no-name",
        ),
        pytest.param(
            HEAD + "  - {employee_no: E 2, name: 乙, unit: team, roles: [staff]}\n",
            [(11, "bad_id")],
            id="employee-no-with-space",
        ),
        pytest.param(
            HEAD + "  - {employee_no: E2, name: 乙, phone: 12ab5, unit: team, roles: [staff]}\n",
            [(11, "bad_phone")],
            id="bad-phone",
        ),
        pytest.param(
            HEAD + "  - {employee_no: E2, name: 乙, phone: '1234', unit: team, roles: [staff]}\n",
            [(11, "bad_phone")],
            id="short-phone",
        ),
        pytest.param(
            HEAD
            + "  - {employee_no: E2, name: 乙, phone: '+8613800000001', unit: team, roles: [staff]}\n"
            + "  - {employee_no: E3, name: 丙, phone: '+8613800000001', unit: team, roles: [staff]}\n",
            [(12, "duplicate_phone")],
            id="duplicate-phone",
        ),
        pytest.param(
            HEAD + "  - {employee_no: E2, name: 乙, unit: team, roles: [staff], age: 30}\n",
            [(11, "unknown_key")],
            id="unknown-person-key",
        ),
        pytest.param(HEAD + "extra: 1\n", [(11, "unknown_key")], id="unknown-top-key"),
        pytest.param(
            HEAD.replace("        checkin:", "        chekin:"), [(8, "unknown_key")], id="misspelt-checkin"
        ),
        pytest.param(
            HEAD.replace("name: 分公司", "name: 分公司\n    name: again"),
            [(5, "duplicate_key")],
            id="duplicate-key",
        ),
        pytest.param(HEAD.replace("Asia/Shanghai", "Asia/Peking"), [(1, "bad_timezone")], id="bad-timezone"),
        pytest.param(
            HEAD.replace("name: 班组", "name: 班组\n        timezone: Mars/Base"),
            [(8, "bad_timezone")],
            id="bad-unit-timezone",
        ),
        pytest.param(HEAD.replace('opens: "07:00"', 'opens: "24:00"'), [(8, "bad_time")], id="bad-time"),
        pytest.param(HEAD.replace('due: "07:30"', "due: seven"), [(8, "bad_time")], id="bad-time-word"),
        pytest.param(
            HEAD.replace('opens: "07:00"', 'opens: "07:30"'),
            [(8, "opens_not_before_due")],
            id="opens-equals-due",
        ),
        pytest.param(
            HEAD.replace('opens: "07:00"', 'opens: "08:00"'),
            [(8, "opens_not_before_due")],
            id="opens-after-due",
        ),
        pytest.param(HEAD.replace("days: workdays", "days: weekdays"), [(8, "bad_days")], id="bad-days-word"),
        pytest.param(
            HEAD.replace("days: workdays", "days: [mon, funday]"), [(8, "bad_days")], id="bad-days-list"
        ),
        pytest.param(
            HEAD.replace("days: workdays", "days: [mon, mon]"), [(8, "bad_days")], id="repeated-day"
        ),
        pytest.param(
            HEAD.replace('days: workdays, opens: "07:00", ', ""),
            [(8, "missing_field")] * 2,
            id="checkin-incomplete",
        ),
        pytest.param(
            HEAD.replace("      - id: team\n", "      - id: root\n"),
            [(6, "duplicate_unit"), (10, "unknown_unit")],
            id="duplicate-unit",
        ),
        pytest.param(
            HEAD.replace("name: 班组", "name: 班组\n        parent: elsewhere"),
            [(8, "parent_conflict")],
            id="parent-conflict",
        ),
        pytest.param(
            "units:\n  - {id: a, name: A, parent: ghost}\n", [(2, "unknown_unit")], id="unknown-parent"
        ),
        pytest.param(
            "units:\n  - {id: root, name: R}\n  - {id: a, name: A, parent: c}\n"
            "  - {id: b, name: B, parent: a}\n  - {id: c, name: C, parent: b}\n",
            [(3, "unit_cycle")],
            id="cycle",
        ),
        pytest.param("units:\n  - {id: a, name: A, parent: a}\n", [(2, "unit_cycle")], id="self-parent"),
        pytest.param(
            "units:\n  - id: a\n    name: A\n    parent: b\n    children:\n      - {id: b, name: B}\n",
            [(2, "unit_cycle")],
            id="cycle-through-nesting",
        ),
        pytest.param(
            HEAD + "escalation:\n  checkin: [{after: P1M, to: self}]\n",
            [(12, "bad_duration")],
            id="duration-in-months",
        ),
        pytest.param(
            HEAD + "escalation:\n  checkin: [{after: 15 minutes, to: self}]\n",
            [(12, "bad_duration")],
            id="duration-in-words",
        ),
        pytest.param(
            HEAD + "escalation:\n  checkin: [{after: -PT1M, to: self}]\n",
            [(12, "bad_duration")],
            id="negative-duration",
        ),
        pytest.param(
            HEAD + "escalation:\n  checkin: [{after: PT1M, to: boss}]\n",
            [(12, "bad_escalation_target")],
            id="bad-target",
        ),
        pytest.param(
            HEAD + "escalation:\n  lunch: [{after: PT1M, to: self}]\n",
            [(12, "unknown_escalation_kind")],
            id="unknown-kind",
        ),
        pytest.param(
            HEAD + "escalation:\n  quiz:\n    - {after: P1D, to: self}\n    - {after: PT1H, to: manager}\n",
            [(14, "steps_out_of_order")],
            id="steps-out-of-order",
        ),
        pytest.param(HEAD + "escalation:\n  quiz: []\n", [(12, "empty_list")], id="empty-policy"),
    ],
)
def test_rule(text: str, expected: list[tuple[int, str]]) -> None:
    assert codes(text) == expected


def test_unknown_kind_lists_the_allowed_kinds() -> None:
    result = parse_org(HEAD + "escalation:\n  lunch: [{after: PT1M, to: self}]\n")
    assert isinstance(result, tuple)
    allowed = ", ".join(sorted(KIND_NAMES))
    assert result[0].message == f"unknown escalation kind 'lunch' (allowed: {allowed})"


@pytest.mark.parametrize("kind", ["card", "rectify", "accident", "Checkin"])
def test_only_kinds_with_a_module_take_a_policy(kind: str) -> None:
    """A policy for a kind whose feature has not landed would never fire: refused on its line, at the org
    level and on a unit, naming the kinds that exist (safety.kinds.KIND_NAMES)."""
    steps = "[{after: PT0M, to: self}]"
    checkin = '        checkin: {days: workdays, opens: "07:00", due: "07:30"}\n'
    text = HEAD.replace(checkin, f"{checkin}        escalation: {{{kind}: {steps}}}\n")
    assert text != HEAD
    result = parse_org(text + f"escalation:\n  quiz: {steps}\n  {kind}: {steps}\n")
    assert isinstance(result, tuple)
    assert [(p.line, p.code, p.params["key"]) for p in result] == [
        (9, "unknown_escalation_kind", kind),
        (14, "unknown_escalation_kind", kind),
    ]
    assert all(p.params["allowed"] == ", ".join(sorted(KIND_NAMES)) for p in result)
    assert ESCALATION_KINDS == KIND_NAMES  # still exported for the code that lists the kinds


def test_all_problems_reported_together_in_line_order() -> None:
    text = HEAD.replace('opens: "07:00"', 'opens: "7:61"') + (
        "  - {employee_no: E1, name: 乙, unit: team, roles: [staff]}\n"
        "  - {employee_no: E3, name: 丙, unit: nowhere, roles: [cook]}\n"
    )
    assert codes(text) == [
        (8, "bad_time"),
        (11, "duplicate_employee_no"),
        (12, "unknown_unit"),
        (12, "unknown_role"),
    ]


def test_values_are_read_as_written() -> None:
    text = HEAD.replace('opens: "07:00", due: "07:30"', "opens: 7:05, due: 17:30").replace(
        "employee_no: E1, name: 甲,", "employee_no: 1001, name: 甲, phone: 13800000001,"
    )
    parsed = plan(text)
    assert parsed.units[1].checkin == {"days": "workdays", "opens": "07:05", "due": "17:30"}
    assert parsed.people is not None
    assert (parsed.people[0].employee_no, parsed.people[0].phone) == ("1001", "13800000001")


def test_timezone_is_inherited_and_overridable() -> None:
    text = HEAD.replace("name: 分公司", "name: 分公司\n    timezone: Asia/Urumqi").replace(
        "timezone: Asia/Shanghai\n", ""
    )
    text += "  - {employee_no: E2, name: 乙, unit: root, roles: [manager]}\n"
    parsed = plan(text)
    assert [(u.id, u.timezone) for u in parsed.units] == [("root", "Asia/Urumqi"), ("team", "Asia/Urumqi")]
    assert plan(HEAD).units[1].timezone == "Asia/Shanghai"


def test_escalation_is_normalised_and_merged_into_roots() -> None:
    text = HEAD.replace("name: 分公司", "name: 分公司\n    escalation: {quiz: [{after: P2D, to: manager}]}")
    text += (
        "escalation:\n  quiz: [{after: PT0M, to: self}]\n"
        "  checkin: [{after: PT90M, to: group}, {after: PT2H, to: admin}]\n"
    )
    parsed = plan(text)
    root, team = parsed.units
    assert parsed.escalation == {
        "quiz": [{"after": "PT0S", "to": "self"}],
        "checkin": [{"after": "PT1H30M", "to": "group"}, {"after": "PT2H", "to": "admin"}],
    }
    assert root.escalation == {
        "quiz": [{"after": "P2D", "to": "manager"}],
        "checkin": parsed.escalation["checkin"],
    }
    assert team.escalation is None


def test_problem_codes_have_templates() -> None:
    with pytest.raises(KeyError):
        problem(1, "no_such_code")
    assert Problem(3, "unknown_unit", {"id": "x"}).message == "unknown unit 'x'"
    assert Problem(3, "unknown_unit", {"id": "x"}).text("zh-CN") == "未知单位 'x'"
    assert len(problem_codes()) > 30
