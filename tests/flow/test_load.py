"""Load as a site sees it, through the sandbox on both databases: 2,000 people binding at 25 a second (none
told to retry, none lost), and a team of 200 not cleared for duty pressing 全部正常 (their leader gets one
notice, edited as the refusals arrive, not 200 messages)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlmodel import col, update

from safety import onboarding
from safety.texts import t
from storage.db import Database
from storage.models import Person
from tests.flow.harness import Clock, running_bot
from tests.flow.test_checkin import last_bot_message, local, press

BINDINGS, RATE = 2000, 25.0


def org_file(folder: Path, members: int) -> Path:
    lines = [
        "timezone: Asia/Shanghai",
        "units:",
        "  - id: proj",
        "    name: 压测项目部",
        "    children:",
        "      - id: team-big",
        "        name: 大班组",
        '        checkin: {days: everyday, opens: "07:00", due: "07:30"}',
        "people:",
        "  - {employee_no: L0001, name: 班长甲, unit: team-big, roles: [team_leader]}",
    ]
    lines += [
        f"  - {{employee_no: E{i:05d}, name: 员工{i:05d}, unit: team-big, roles: [staff]}}"
        for i in range(members)
    ]
    path = folder / "big-org.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_2000_bindings_at_25_a_second_all_bind_and_none_is_told_to_retry(
    db: Database, tmp_path: Path
) -> None:
    async with running_bot(db, org_file=org_file(tmp_path, BINDINGS - 1), clock=Clock(local(6, 0))) as bot:
        people = list(bot.people.values())
        async with bot.db.session() as session:
            issued = await onboarding.issue_codes(session, people=people, now=bot.clock())
        codes = {c.person.employee_no: c.code for c in issued}
        started = time.monotonic()
        sends = []
        for i, person in enumerate(people):  # open loop: 25 a second whatever the answers do
            await asyncio.sleep(max(0.0, started + i / RATE - time.monotonic()))
            user = bot.user_id(person.employee_no)
            sends.append(
                asyncio.create_task(bot.client.send_text(user, f"/start {codes[person.employee_no]}"))
            )
        sent = await asyncio.gather(*sends)
        for person, message in zip(people, sent, strict=True):
            await bot.client.wait_for(
                bot.user_id(person.employee_no), after_message_id=message["message_id"], timeout=60
            )
        assert await bot.bound_count() == BINDINGS
        busy = t("zh-CN", "access.error")
        replies = [m for r in await bot.client.requests("sendMessage") if (m := r["params"].get("text"))]
        assert busy not in replies and sum(1 for r in replies if "绑定成功" in r) == BINDINGS


async def test_200_not_cleared_at_a_round_give_their_leader_one_edited_notice(
    db: Database, tmp_path: Path
) -> None:
    async with running_bot(db, org_file=org_file(tmp_path, 200), clock=Clock(local(6, 50))) as bot:
        staff = [no for no in bot.people if no.startswith("E")]
        for employee_no in ["L0001", *staff]:
            await bot.bind(employee_no)
        async with bot.db.session() as session:
            await session.exec(update(Person).where(col(Person.employee_no).in_(staff)).values(cleared=False))
        bot.clock.now = local(7, 0, 5)
        await bot.tick()
        checklists = {no: await last_bot_message(bot, no, "班前安全确认") for no in staff}
        refused = t("zh-CN", "checkin.not_cleared")
        for start in range(0, len(staff), 50):  # fifty at a time, as fast as the phones go
            await asyncio.gather(
                *(press(bot, no, checklists[no], "全部正常") for no in staff[start : start + 50])
            )
        for no in staff:
            await bot.client.wait_for(bot.user_id(no), predicate=lambda m: m.get("text") == refused)
        await bot.drain()
        leader = [m for m in await bot.client.messages(bot.user_id("L0001")) if m["from_bot"]]
        notices = [m for m in leader if "尚未取得上岗资格" in str(m.get("text"))]
        assert len(notices) == 1, [m.get("text", "")[:40] for m in leader]
        assert len(leader) == 2, "the welcome and the one notice"
        notice = notices[0]
        assert notice.get("edited") and "有 200 人" in notice["text"], notice["text"][:200]
        assert all(f"员工{i:05d}" in notice["text"] for i in range(200))
