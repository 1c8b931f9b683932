"""Binding chat accounts to roster people: one-time codes, own-phone contacts, and the failure lockout."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import identity_queries as q
from storage.models import BindFailure, BindingCode, ChatIdentity, Person

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 8
CODE_TTL = timedelta(days=7)
FAILURE_WINDOW = timedelta(minutes=10)
FAILURES_TO_LOCK = 5
LOCK_FOR = timedelta(hours=1)
_CODE_RE = re.compile(rf"^[A-Z0-9]{{{CODE_LENGTH}}}$")  # the format; the alphabet is checked by the hash


class BindStatus(StrEnum):
    BOUND = "bound"
    REBOUND = "rebound"
    ALREADY_BOUND = "already_bound"
    WRONG_CODE = "wrong_code"
    USED_CODE = "used_code"
    EXPIRED_CODE = "expired_code"
    INVALID_INPUT = "invalid_input"
    LOCKED = "locked"
    FOREIGN_CONTACT = "foreign_contact"
    PHONE_UNKNOWN = "phone_unknown"
    PHONE_AMBIGUOUS = "phone_ambiguous"
    PERSON_BOUND_ELSEWHERE = "person_bound_elsewhere"
    ACCOUNT_BOUND_OTHER = "account_bound_other"
    INACTIVE = "inactive"

    @property
    def ok(self) -> bool:
        return self in {BindStatus.BOUND, BindStatus.REBOUND, BindStatus.ALREADY_BOUND}


@dataclass(frozen=True)
class BindOutcome:
    status: BindStatus
    person: Person | None = None
    locked_until: datetime | None = None
    previous_chat_id: str | None = None  # the account a rebind took the person away from


@dataclass(frozen=True)
class Account:
    """The chat account that is trying to bind."""

    channel: str
    external_id: str
    chat_id: str


@dataclass(frozen=True)
class IssuedCode:
    person: Person
    code: str
    expires_at: datetime


def normalize_code(raw: str) -> str:
    return raw.strip().upper().replace("-", "").replace(" ", "")


def hash_code(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def normalize_phone(raw: str) -> str:
    """Digits only, without a +86/0086 country prefix: '+86 138-0000-0001' -> '13800000001'."""
    digits = re.sub(r"\D", "", raw)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


def lock_until(failures: Sequence[datetime], now: datetime) -> datetime | None:
    """FAILURES_TO_LOCK failures within FAILURE_WINDOW lock tries for LOCK_FOR after the last of them."""
    ordered = sorted(failures)
    until: datetime | None = None
    for i in range(len(ordered) - FAILURES_TO_LOCK + 1):
        last = ordered[i + FAILURES_TO_LOCK - 1]
        if last - ordered[i] <= FAILURE_WINDOW and last + LOCK_FOR > now:
            until = max(until or last, last + LOCK_FOR)
    return until


async def issue_codes(
    session: AsyncSession, *, people: Sequence[Person], now: datetime, ttl: timedelta = CODE_TTL
) -> list[IssuedCode]:
    """A fresh one-time code for each person; their earlier unused codes stop working."""
    issued = []
    for person in people:
        assert person.id is not None
        await q.void_open_codes(session, person_id=person.id, now=now)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        session.add(BindingCode(person_id=person.id, code_hash=hash_code(code), expires_at=now + ttl))
        issued.append(IssuedCode(person=person, code=code, expires_at=now + ttl))
    q.add_audit(
        session,
        at=now,
        actor_id=None,
        channel="cli",
        action="invite.issue",
        detail={"employee_nos": [p.employee_no for p in people]},
    )
    return issued


async def _locked(session: AsyncSession, account: Account, now: datetime) -> datetime | None:
    since = now - FAILURE_WINDOW - LOCK_FOR
    failures = await q.recent_failures(
        session, channel=account.channel, external_id=account.external_id, since=since
    )
    return lock_until(failures, now)


async def _fail(session: AsyncSession, account: Account, now: datetime, status: BindStatus) -> BindOutcome:
    session.add(BindFailure(channel=account.channel, external_id=account.external_id, at=now, reason=status))
    return BindOutcome(status)


async def bind_with_code(session: AsyncSession, *, account: Account, code: str, now: datetime) -> BindOutcome:
    """Bind the account with a one-time code. Failures count towards the lockout and change nothing else;
    tries of one account are serialised, so thirty at once count as thirty, never past the lockout."""
    await q.lock_account(session, channel=account.channel, external_id=account.external_id)
    if until := await _locked(session, account, now):
        return BindOutcome(BindStatus.LOCKED, locked_until=until)
    normalized = normalize_code(code)
    if not _CODE_RE.match(normalized):
        return await _fail(session, account, now, BindStatus.INVALID_INPUT)
    row = await q.code_by_hash(session, code_hash=hash_code(normalized))
    if row is None:
        return await _fail(session, account, now, BindStatus.WRONG_CODE)
    person = await q.person_by_id(session, person_id=row.person_id)
    if row.used_at is not None:
        current = await q.identity_by_external(
            session, channel=account.channel, external_id=account.external_id
        )
        if current is not None and current.person_id == row.person_id and person is not None:
            return BindOutcome(BindStatus.ALREADY_BOUND, person=person)
        return await _fail(session, account, now, BindStatus.USED_CODE)
    if row.expires_at <= now:
        return await _fail(session, account, now, BindStatus.EXPIRED_CODE)
    if person is None or not person.active:
        return BindOutcome(BindStatus.INACTIVE)
    current = await q.identity_by_external(session, channel=account.channel, external_id=account.external_id)
    if current is not None and current.person_id != person.id:
        other = await q.person_by_id(session, person_id=current.person_id)
        return BindOutcome(BindStatus.ACCOUNT_BOUND_OTHER, person=other)
    if not await q.claim_code(session, code_id=row.id or 0, now=now):
        return await _fail(session, account, now, BindStatus.USED_CODE)
    return await _attach(session, account=account, person=person, now=now, method="code")


async def bind_with_contact(
    session: AsyncSession, *, account: Account, contact_user_id: str | None, phone: str, now: datetime
) -> BindOutcome:
    """Bind by the sender's own shared phone number when it matches exactly one active roster person."""
    await q.lock_account(session, channel=account.channel, external_id=account.external_id)
    if until := await _locked(session, account, now):
        return BindOutcome(BindStatus.LOCKED, locked_until=until)
    if contact_user_id != account.external_id:
        return await _fail(session, account, now, BindStatus.FOREIGN_CONTACT)
    matches = await q.people_by_phone(session, phone=normalize_phone(phone))
    if not matches:
        return await _fail(session, account, now, BindStatus.PHONE_UNKNOWN)
    if len(matches) > 1:
        return BindOutcome(BindStatus.PHONE_AMBIGUOUS)
    person = matches[0]
    assert person.id is not None
    current = await q.identity_by_external(session, channel=account.channel, external_id=account.external_id)
    if current is not None:
        if current.person_id == person.id:
            return BindOutcome(BindStatus.ALREADY_BOUND, person=person)
        other = await q.person_by_id(session, person_id=current.person_id)
        return BindOutcome(BindStatus.ACCOUNT_BOUND_OTHER, person=other)
    if await q.identity_of_person(session, person_id=person.id, channel=account.channel):
        return BindOutcome(BindStatus.PERSON_BOUND_ELSEWHERE)
    return await _attach(session, account=account, person=person, now=now, method="contact")


async def _attach(
    session: AsyncSession, *, account: Account, person: Person, now: datetime, method: str
) -> BindOutcome:
    assert person.id is not None
    existing = await q.identity_of_person(session, person_id=person.id, channel=account.channel)
    if existing is not None and existing.external_id == account.external_id:
        return BindOutcome(BindStatus.ALREADY_BOUND, person=person)
    previous_chat = None
    if existing is not None:
        previous_chat = existing.chat_id
        await q.delete_identity(session, identity_id=existing.id or 0)
        await session.flush()
    session.add(
        ChatIdentity(
            person_id=person.id,
            channel=account.channel,
            external_id=account.external_id,
            chat_id=account.chat_id,
            bound_at=now,
        )
    )
    action = "bind.rebind" if existing is not None else f"bind.{method}"
    detail = {"method": method, "external_id": account.external_id}
    if existing is not None:
        detail["previous_external_id"] = existing.external_id
    q.add_audit(
        session,
        at=now,
        actor_id=person.id,
        channel=account.channel,
        action=action,
        subject=person.employee_no,
        detail=detail,
    )
    status = BindStatus.REBOUND if existing is not None else BindStatus.BOUND
    return BindOutcome(status, person=person, previous_chat_id=previous_chat)
