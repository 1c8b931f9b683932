"""The sandbox's demo: load the demo data (bot/demo_data, links to examples/ in a checkout) into an empty
database and show the roster in the page's picker (Telegram) and the WeCom sandbox's member list."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.sandbox import SandboxServer, SandboxUser
from bot.sandbox_wecom import WeComSandbox
from bot.settings import Settings
from safety import bank, onboarding
from safety.imports.cards_file import CardsReport, import_cards_file
from safety.imports.checklists_file import ChecklistsReport, import_checklists_file
from safety.imports.duties_file import DutiesReport, import_duties_file
from safety.imports.locations_file import LocationsReport, import_locations_file
from safety.imports.questions_model import BankReport
from safety.imports.questions_service import import_questions_file
from safety.imports.results import ImportReport
from safety.imports.service import import_org_file
from safety.imports.shifts_file import import_shifts_file
from safety.shifts.replace import ShiftsReport
from storage import card_rule_queries as crq
from storage import inspection_queries as iq
from storage import location_queries as lq
from storage import org_queries as oq
from storage import roster_queries as rq
from storage.db import Database

logger = logging.getLogger(__name__)
DEMO_USER_BASE = 100_000  # sandbox Telegram user id = DEMO_USER_BASE + person id
DEMO_NEW_HIRE = "E1002"  # not cleared yet: the demo shows the quiz requirement and the refused check-in


DEMO_DATA = Path(__file__).resolve().parent / "demo_data"  # in the package: `safetybot run` from anywhere


def examples_dir() -> Path:
    """The demo data shipped inside the package (bot/demo_data; in a checkout, links to examples/)."""
    if not (DEMO_DATA / "org.yaml").is_file():
        raise FileNotFoundError(f"the demo data is missing from the installed package ({DEMO_DATA})")
    return DEMO_DATA


async def prepare_sandbox(
    settings: Settings, server: SandboxServer, wecom: WeComSandbox | None = None
) -> None:
    """Demo data when the database has nobody yet, with fresh codes shown next to each name in the picker;
    the same people are members of the WeCom sandbox (userid: wecom_userid, else the employee number)."""
    db = Database(settings.database_url)
    codes: dict[int, str] = {}
    try:
        async with db.session() as session:
            if not await oq.all_people(session):
                report = await import_org_file(session, examples_dir() / "org.yaml", channel="sandbox")
                if not isinstance(report, ImportReport):
                    raise RuntimeError(f"demo org file rejected: {report}")
                logger.info("loaded the demo organisation: %s people", report.people.created)
                people = await oq.all_people(session)
                for person in people:  # the demo crew passed the quiz already, but for one new hire
                    person.cleared = person.employee_no != DEMO_NEW_HIRE
                    session.add(person)
                issued = await onboarding.issue_codes(session, people=people, now=datetime.now(UTC))
                codes = {c.person.id or 0: c.code for c in issued}
            if not await bank.has_questions(session):  # the labelled SAMPLE bank, never the official text
                loaded = await import_questions_file(
                    session, examples_dir() / "questions.yaml", channel="sandbox"
                )
                if not isinstance(loaded, BankReport):
                    raise RuntimeError(f"demo question bank rejected: {loaded}")
                logger.info("loaded the sample question bank: %s questions", loaded.questions.created)
            if not await lq.all_locations(session):  # site locations for the QR posters (safetybot qr)
                places = await import_locations_file(
                    session, examples_dir() / "locations.yaml", channel="sandbox"
                )
                if not isinstance(places, LocationsReport):
                    raise RuntimeError(f"demo locations rejected: {places}")
                logger.info("loaded the demo site locations: %s", places.locations.created)
            if not await iq.all_checklists(session):  # the labelled SAMPLE checklists for /inspect
                lists = await import_checklists_file(
                    session, examples_dir() / "checklists.yaml", channel="sandbox"
                )
                if not isinstance(lists, ChecklistsReport):
                    raise RuntimeError(f"demo checklists rejected: {lists}")
                logger.info("loaded the sample checklists: %s", lists.counts.created)
            if not await crq.all_cards(session):  # the SAMPLE card calendar and the 2027 春节 duty roster
                await _load_cards_and_shifts(session, settings)
        async with db.session() as session:
            people = [p for p in await oq.all_people(session) if p.active]
            names = await rq.unit_names(session, unit_ids=[p.unit_id for p in people])
            roles = await rq.roles_by_person(session, person_ids=[p.id or 0 for p in people])
    finally:
        await db.dispose()
    for person in people:
        assert person.id is not None
        parts = [
            person.name,
            names.get(person.unit_id, person.unit_id),
            "/".join(sorted(roles.get(person.id, []))),
        ]
        if wecom is not None:  # inside one corp nobody needs a code
            wecom.add_member(person.wecom_userid or person.employee_no, person.name, " · ".join(parts))
        if person.id in codes:
            parts.append(f"/start {codes[person.id]}")
        server.add_user(
            SandboxUser(
                id=DEMO_USER_BASE + person.id,
                first_name=person.name,
                phone=person.phone,
                label=" · ".join(parts),
                language_code="zh-hans",
            )
        )


async def _load_cards_and_shifts(session: AsyncSession, settings: Settings) -> None:
    from bot.cli_cards import org_defaults

    now = datetime.now(UTC)
    cards = await import_cards_file(session, examples_dir() / "cards.yaml", now=now, channel="sandbox")
    if not isinstance(cards, CardsReport):
        raise RuntimeError(f"demo cards rejected: {cards}")
    shifts = await import_shifts_file(
        session, examples_dir() / "shifts.yaml", now=now, defaults=org_defaults(settings), channel="sandbox"
    )
    if not isinstance(shifts, ShiftsReport):
        raise RuntimeError(f"demo duty roster rejected: {shifts}")
    duties = await import_duties_file(session, examples_dir() / "duties.yaml", now=now, channel="sandbox")
    if not isinstance(duties, DutiesReport):
        raise RuntimeError(f"demo duty list rejected: {duties}")
    logger.info("loaded the sample card calendar, the demo duty roster and the sample duty list")
