"""Storing the channel columns of imported people (safety.imports.channel_columns), after the upserts.

A WeCom userid is unique across people, so moving one (two people swapping, or a userid passing from a
person who left the roster to a new one) frees every userid that changes before any is set. A person left
out of the file is deactivated and their userid freed; `preferred_channel` is written only where the file
gives one (empty: the person's own choice stays). A WeCom binding follows the userid (no code is needed
inside one corp): a person whose account changed is bound to the new one at once — so nothing meant for
them reaches the member who now holds their old account — and a leaver's binding to a freed one is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.imports.channel_columns import WECOM
from safety.imports.plan import PersonSpec
from storage import channel_queries as cq
from storage.models import Person


def channels_differ(person: Person, spec: PersonSpec) -> bool:
    """Whether importing `spec` changes the person's channel columns."""
    preferred = spec.preferred_channel is not None and spec.preferred_channel != person.preferred_channel
    return person.wecom_userid != spec.wecom_userid or preferred


async def apply_channel_columns(
    session: AsyncSession,
    specs: Sequence[PersonSpec],
    *,
    existing: Mapping[str, Person],
    new_ids: Mapping[str, int],
) -> None:
    """Make the stored columns what `specs` say: `existing` are the people as loaded before the import
    (employee_no -> row, in this session), `new_ids` the people just inserted (employee_no -> id)."""
    listed = {s.employee_no: s for s in specs}
    moving: list[tuple[Person, str]] = []
    accounts: dict[int, str | None] = {}  # person id -> their WeCom account now, where it changed
    for employee_no, person in existing.items():
        spec = listed.get(employee_no)
        target = spec.wecom_userid if spec is not None else None
        if person.wecom_userid != target and person.id is not None:
            accounts[person.id] = (target or employee_no) if spec is not None else None
        if person.wecom_userid != target:
            person.wecom_userid = None  # freed first: another person may be about to take it
            if target is not None:
                moving.append((person, target))
        if spec is not None and spec.preferred_channel not in (None, person.preferred_channel):
            person.preferred_channel = spec.preferred_channel
    await session.flush()
    for person, target in moving:
        person.wecom_userid = target
    await session.flush()
    await cq.repoint_identities(session, channel=WECOM, moves=accounts)
    await cq.set_channel_columns(
        session,
        rows=[
            (new_ids[s.employee_no], s.wecom_userid, s.preferred_channel)
            for s in specs
            if s.employee_no in new_ids and (s.wecom_userid is not None or s.preferred_channel is not None)
        ],
    )
