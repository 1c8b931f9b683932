"""The people's channel columns, `wecom_userid` and `preferred_channel`, in the org file and the roster
(CSV and XLSX): WeCom's account rules, uniqueness ignoring case (a defaulted employee_no counts), storage,
userids moving between people, and a person's own /channel choice surviving a re-import."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from sqlmodel import col, select

from safety.imports.people import RawPerson, validate_people
from safety.imports.problems import Problem
from storage.db import Database
from storage.models import ChatIdentity, Person
from tests.imports.helpers import ORG_TEXT, ok, rejected, run_org, run_roster
from tests.imports.test_roster_import import HEADER, example_rows, write_csv

WIDE = [*HEADER, "wecom_userid", "preferred_channel"]


def raw(line: int, employee_no: str, userid: str | None = None, preferred: str | None = None) -> RawPerson:
    return RawPerson(
        line=line,
        employee_no=employee_no,
        name=f"人{line}",
        phone=None,
        unit="team-a",
        roles=[("staff", line)],
        wecom_userid=userid,
        preferred_channel=preferred,
    )


def check(*raws: RawPerson) -> list[tuple[int, str]]:
    problems: list[Problem] = []
    validate_people(raws, None, problems)
    return [(p.line, p.code) for p in problems]


def test_wecom_userids_follow_wecom_rules() -> None:
    good = ["LiSi", "zhang.san@site", "a", "9_x-y", "A" * 64]
    problems: list[Problem] = []
    specs = validate_people([raw(i, f"E{i}", u) for i, u in enumerate(good, 1)], None, problems)
    assert problems == [] and [s.wecom_userid for s in specs] == good
    bad = ["张三", "li si", "_lead", "-x", "a" * 65, "x#1", "a\u200bb"]
    found = check(*(raw(i, f"E{i}", u) for i, u in enumerate(bad, 1)))
    assert [line for line, _ in found] == list(range(1, len(bad) + 1))
    assert {code for _, code in found[:-1]} == {"bad_wecom_userid"}
    assert found[-1][1] == "hidden_characters", "a zero-width space is named as such"


def test_wecom_userids_are_unique_ignoring_case_defaulted_ones_included() -> None:
    assert check(raw(1, "E1", "LiSi"), raw(2, "E2", "lisi")) == [(2, "duplicate_wecom_userid")]
    # E2's account defaults to its employee_no: E1 may not take it
    assert check(raw(1, "E1", "e2"), raw(2, "E2")) == [(2, "duplicate_wecom_userid")]
    assert check(raw(1, "E1", "E1"), raw(2, "E2", " ")) == [], "one's own employee_no; blank is absent"
    problems: list[Problem] = []
    validate_people([raw(1, "E1", "WangWu"), raw(2, "E2", "wangwu")], None, problems)
    assert "E1" in problems[0].text("zh-CN") and "1" in problems[0].message


def test_preferred_channel_is_telegram_or_wecom() -> None:
    problems: list[Problem] = []
    specs = validate_people([raw(1, "E1", preferred="WeCom"), raw(2, "E2", preferred="")], None, problems)
    assert problems == [] and [s.preferred_channel for s in specs] == ["wecom", None]
    assert check(raw(1, "E1", preferred="wechat")) == [(1, "bad_preferred_channel")]


def org_with(extra: dict[str, str]) -> str:
    """The example org file with keys added to some people (by employee_no)."""
    lines = []
    for line in ORG_TEXT.splitlines():
        for employee_no, keys in extra.items():
            if f"employee_no: {employee_no}," in line:
                line = line.rstrip().removesuffix("}") + f", {keys}}}"
        lines.append(line)
    return "\n".join(lines) + "\n"


async def channels(db: Database) -> dict[str, tuple[str | None, str | None, bool]]:
    async with db.session() as session:
        people = (await session.exec(select(Person).order_by(col(Person.id)))).all()
    return {p.employee_no: (p.wecom_userid, p.preferred_channel, p.active) for p in people}


async def test_org_file_stores_the_columns_and_a_reimport_changes_nothing(db: Database) -> None:
    text = org_with({"E1000": "wecom_userid: LiSi, preferred_channel: wecom", "E1001": "wecom_userid: zs"})
    first = ok(await run_org(db, text))
    assert first.people.created == 20
    stored = await channels(db)
    assert stored["E1000"] == ("LiSi", "wecom", True) and stored["E1001"] == ("zs", None, True)
    assert stored["E1002"] == (None, None, True), "no column: the employee_no stands in"
    again = ok(await run_org(db, text))
    assert not again.changed and again.people.unchanged == 20
    swapped = org_with({"E1000": "wecom_userid: zs", "E1001": "wecom_userid: LiSi"})
    report = ok(await run_org(db, swapped))  # two people swap accounts in one import
    assert report.people.updated == 2
    stored = await channels(db)
    assert stored["E1000"] == ("zs", "wecom", True), "no preferred_channel given: the stored one stays"
    assert stored["E1001"] == ("LiSi", None, True)


async def wecom_bindings(db: Database) -> dict[str, str]:
    """employee_no -> the account their "wecom" chat identity is bound to."""
    async with db.session() as session:
        rows = (
            await session.exec(
                select(Person.employee_no, ChatIdentity.external_id, ChatIdentity.chat_id)
                .join(ChatIdentity, col(ChatIdentity.person_id) == col(Person.id))
                .where(ChatIdentity.channel == "wecom")
            )
        ).all()
    assert all(external == chat for _, external, chat in rows)
    return {no: external for no, external, _ in rows}


async def bind_wecom(db: Database, **accounts: str) -> None:
    async with db.session() as session:
        for employee_no, account in accounts.items():
            person = (await session.exec(select(Person).where(Person.employee_no == employee_no))).one()
            session.add(
                ChatIdentity(
                    person_id=person.id or 0,
                    channel="wecom",
                    external_id=account,
                    chat_id=account,
                    unreachable=True,
                )
            )


async def test_a_wecom_binding_follows_its_userid_so_nobody_gets_anothers_messages(db: Database) -> None:
    ok(await run_org(db, org_with({"E1000": "wecom_userid: LiSi", "E1001": "wecom_userid: zs"})))
    await bind_wecom(db, E1000="LiSi", E1001="zs", E1002="E1002")
    ok(await run_org(db, org_with({"E1000": "wecom_userid: zs", "E1001": "wecom_userid: LiSi"})))
    assert await wecom_bindings(db) == {"E1000": "zs", "E1001": "LiSi", "E1002": "E1002"}
    async with db.session() as session:
        moved = (await session.exec(select(ChatIdentity).where(ChatIdentity.external_id == "zs"))).one()
    assert not moved.unreachable, "a moved binding starts reachable"
    ok(await run_org(db, org_with({"E1001": "wecom_userid: LiSi"})))  # E1000 back to the employee_no
    assert await wecom_bindings(db) == {"E1000": "E1000", "E1001": "LiSi", "E1002": "E1002"}


async def test_org_file_problems_name_their_lines(db: Database) -> None:
    text = org_with(
        {"E1000": "wecom_userid: 李四", "E1001": "wecom_userid: e1002", "E1003": "preferred_channel: qq"}
    )
    found = rejected(await run_org(db, text))
    lines = {code: line for line, code in found}
    assert set(lines) == {"bad_wecom_userid", "duplicate_wecom_userid", "bad_preferred_channel"}
    source = text.splitlines()
    assert "E1000" in source[lines["bad_wecom_userid"] - 1]
    assert "E1002" in source[lines["duplicate_wecom_userid"] - 1], "reported on the second holder"
    assert "E1003" in source[lines["bad_preferred_channel"] - 1]
    assert await channels(db) == {}, "a refused file changes nothing"


def wide_rows(extra: dict[str, tuple[str, str]]) -> list[list[str]]:
    return [[*r, *extra.get(r[0], ("", ""))] for r in example_rows()]


async def test_roster_csv_columns_a_leaver_frees_the_userid_and_choices_survive(
    db: Database, tmp_path: Path
) -> None:
    ok(await run_org(db, ORG_TEXT))
    rows = wide_rows({"E1001": ("ZhangSan", "telegram"), "E1002": ("wanger", "")})
    ok(await run_roster(db, write_csv(tmp_path / "a.csv", rows, header=WIDE, bom=True)))
    await bind_wecom(db, E1001="ZhangSan", E1002="wanger")
    stored = await channels(db)
    assert stored["E1001"] == ("ZhangSan", "telegram", True) and stored["E1002"] == ("wanger", None, True)
    async with db.session() as session:  # E1002 picks WeCom with /channel
        person = (await session.exec(select(Person).where(Person.employee_no == "E1002"))).one()
        person.preferred_channel = "wecom"
        session.add(person)
    # E1001 leaves; a new hire takes the account ZhangSan; E1002's column is empty
    rows = [r for r in wide_rows({"E1002": ("wanger", "")}) if r[0] != "E1001"]
    rows.append(["E3000", "张三丰", "", "team-blast", "staff", "zhangsan", "wecom"])
    report = ok(await run_roster(db, write_csv(tmp_path / "b.csv", rows, header=WIDE)))
    assert (report.people.created, report.people.deactivated) == (1, 1)
    stored = await channels(db)
    assert stored["E1001"] == (None, "telegram", False), "the leaver's account is free"
    assert stored["E3000"] == ("zhangsan", "wecom", True)
    assert stored["E1002"] == ("wanger", "wecom", True), "the person's own choice stays"
    assert await wecom_bindings(db) == {"E1002": "wanger"}, "the leaver's binding went with the account"


async def test_roster_xlsx_columns_and_a_refused_roster(db: Database, tmp_path: Path) -> None:
    ok(await run_org(db, ORG_TEXT))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([h.upper() for h in WIDE])  # header case is ignored
    for row in wide_rows({"E1000": ("LiSi", "WECOM")}):
        sheet.append(row)
    book.save(tmp_path / "r.xlsx")
    ok(await run_roster(db, tmp_path / "r.xlsx"))
    assert (await channels(db))["E1000"] == ("LiSi", "wecom", True)
    rows = wide_rows({"E1000": ("LiSi", ""), "E1001": ("lisi", "email")})
    found = rejected(await run_roster(db, write_csv(tmp_path / "bad.csv", rows, header=WIDE)))
    line = next(i for i, r in enumerate(rows, 2) if r[0] == "E1001")
    assert sorted(found) == [(line, "bad_preferred_channel"), (line, "duplicate_wecom_userid")]
