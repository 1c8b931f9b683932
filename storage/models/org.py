"""The organisation: units, people, roles, chat identities, binding codes, the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import utcnow


class Unit(SQLModel, table=True):
    """A node of the organisation tree (branch, project, team)."""

    __tablename__ = "units"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    parent_id: str | None = Field(default=None, foreign_key="units.id", index=True, max_length=64)
    timezone: str | None = Field(default=None, max_length=64)
    checkin: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    escalation: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # a required inspection: {every: daily|monthly, due: "HH:MM", by: role} (a missing one escalates)
    inspection: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    sort_order: int = Field(default=0)
    group_chat_id: str | None = Field(
        default=None, max_length=64
    )  # the unit's group chat, an escalation target
    active: bool = Field(default=True)


class Person(SQLModel, table=True):
    """Someone on the roster. Never deleted: leaving the roster deactivates, history stays."""

    __tablename__ = "people"

    id: int | None = Field(default=None, primary_key=True)
    employee_no: str = Field(unique=True, index=True, max_length=32)
    name: str = Field(max_length=100)
    phone: str | None = Field(default=None, index=True, max_length=32)
    unit_id: str = Field(foreign_key="units.id", index=True, max_length=64)
    language: str | None = Field(default=None, max_length=8)
    active: bool = Field(default=True)
    cleared: bool = Field(default=False)  # cleared for duty: a full-score quiz (考试满分方可上岗)
    cleared_until: date | None = None  # optional renewal date of the clearance
    unreachable: bool = Field(default=False)  # the chat answered 403 (blocked the bot)
    preferred_channel: str | None = Field(default=None, max_length=16)  # of the channels they are bound on
    wecom_userid: str | None = Field(default=None, unique=True, max_length=64)  # None: the employee_no
    created_at: datetime = Field(default_factory=utcnow)


class RoleAssignment(SQLModel, table=True):
    """A role held by a person at a unit; "the team leader of X" is the nearest holder at X or above."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("person_id", "role", "unit_id", name="uq_role_assignment"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    role: str = Field(max_length=32)
    unit_id: str = Field(foreign_key="units.id", index=True, max_length=64)


class ChatIdentity(SQLModel, table=True):
    """A chat account bound to a person; one account per person and channel (a person may be bound on
    several channels)."""

    __tablename__ = "chat_identities"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_identity_external"),
        UniqueConstraint("person_id", "channel", name="uq_identity_person_channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    chat_id: str | None = Field(default=None, max_length=64)
    unreachable: bool = Field(default=False)  # this channel cannot reach them (blocked, left the corp)
    bound_at: datetime = Field(default_factory=utcnow)


class BindingCode(SQLModel, table=True):
    """A one-time binding code, stored as a hash only."""

    __tablename__ = "binding_codes"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    code_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = Field(default=None)


class BindFailure(SQLModel, table=True):
    """A failed binding try by a chat account, for the lockout."""

    __tablename__ = "bind_failures"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    reason: str = Field(max_length=32)


class AuditEntry(SQLModel, table=True):
    """Who did what, when, from which channel."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    channel: str = Field(max_length=16)
    action: str = Field(max_length=64, index=True)
    subject: str | None = Field(default=None, max_length=128)
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
