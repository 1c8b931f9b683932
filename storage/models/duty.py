"""Duty: the calendar, rounds, check-ins, leave, obligations, digests and the outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import utcnow

# --- duty: calendar, rounds, check-ins, leave -------------------------------------------------------------


class OfficialDay(SQLModel, table=True):
    """An imported official holiday or 调休 working day, for a year the calendar library lacks."""

    __tablename__ = "official_days"

    day: date = Field(primary_key=True)
    year: int = Field(index=True)
    is_workday: bool
    name: str | None = Field(default=None, max_length=32)


class Round(SQLModel, table=True):
    """One check-in round of a team on one local date; unique so creating it is idempotent."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("unit_id", "day", name="uq_round_unit_day"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: str = Field(foreign_key="units.id", index=True, max_length=64)
    day: date
    opens_at: datetime
    due_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


class CheckIn(SQLModel, table=True):
    """A person's answer to a round: on_time, late or issue (with the items and a note)."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("round_id", "person_id", name="uq_checkin_round_person"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    status: str = Field(max_length=16)
    items: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    note: str | None = Field(default=None, max_length=1000)
    photo_file_id: str | None = Field(default=None, max_length=256)
    latitude: float | None = None
    longitude: float | None = None
    at: datetime = Field(default_factory=utcnow)


class Leave(SQLModel, table=True):
    """Leave asked by a person; approved leave excuses the days from first to last (local dates)."""

    __tablename__ = "leaves"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    first_day: date
    last_day: date
    reason: str = Field(max_length=500)
    status: str = Field(default="pending", max_length=16)
    decided_by: int | None = Field(default=None, foreign_key="people.id")
    decided_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ChatState(SQLModel, table=True):
    """The flow a person is in (a report, a violation, a check-in issue) and its state, kept across
    restarts; `version` makes every change a compare-and-set."""

    __tablename__ = "chat_states"

    person_id: int = Field(primary_key=True, foreign_key="people.id")
    kind: str = Field(max_length=32)  # the flow's name
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    version: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow)


# --- escalation ---------------------------------------------------------------------------------------------


class Obligation(SQLModel, table=True):
    """A duty someone can leave unanswered; the engine escalates it along its policy until it is closed."""

    __tablename__ = "obligations"
    __table_args__ = (
        UniqueConstraint("kind", "ref", "subject_id", name="uq_obligation_kind_ref_subject"),
        Index("ix_obligations_due_steps", "state", "next_step_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    ref: str = Field(max_length=64)  # what it is about, e.g. "round:12"
    subject_id: int = Field(foreign_key="people.id", index=True)
    unit_id: str = Field(foreign_key="units.id", max_length=64)
    due_at: datetime
    state: str = Field(default="open", max_length=16)
    level: int = Field(default=-1)  # index of the last policy step fired; -1: none yet
    next_step_at: datetime | None = None
    closed_by: int | None = Field(default=None, foreign_key="people.id")
    closed_at: datetime | None = None
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class Digest(SQLModel, table=True):
    """One message about many people's duties: a unit, a kind, a reference (the round) and a topic — an
    escalation step (`step`, with its level) or an alert to leaders (`issue`, `not_cleared`, …) — sent to
    its recipients and edited (a new `version`) as the listed duties change."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("kind", "ref", "unit_id", "topic", "level", name="uq_digest"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    ref: str = Field(max_length=64)
    unit_id: str = Field(foreign_key="units.id", max_length=64)
    topic: str = Field(default="step", max_length=16)
    level: int
    version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class DigestEntry(SQLModel, table=True):
    """An obligation listed in a digest."""

    __tablename__ = "digest_entries"
    __table_args__ = (UniqueConstraint("digest_id", "obligation_id", name="uq_digest_entry"),)

    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="digests.id", index=True)
    obligation_id: int = Field(foreign_key="obligations.id", index=True)


class DigestRecipient(SQLModel, table=True):
    """Who a digest went to (a person or a unit's group chat) and the outbox row that carries it."""

    __tablename__ = "digest_recipients"
    __table_args__ = (UniqueConstraint("outbox_key", name="uq_digest_recipients_outbox_key"),)

    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="digests.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    group_unit_id: str | None = Field(default=None, max_length=64)
    outbox_key: str = Field(max_length=160)  # unique: one row per recipient, whoever writes it


# --- delivery -----------------------------------------------------------------------------------------------


class OutboxMessage(SQLModel, table=True):
    """A proactive message, written in the same transaction as its cause; sent once by the dispatcher."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "channel", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=160)  # idempotency key, e.g. obligation:812:level:2:person:44
    channel: str = Field(max_length=16)  # the channel that sends it (the recipient's preferred one)
    kind: str = Field(max_length=32)
    person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    chat_id: str | None = Field(default=None, max_length=64)  # a group chat; else the person's chat
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # a view (safety.views)
    edit_of: str | None = Field(default=None, max_length=160)  # key of the message this one edits
    status: str = Field(default="pending", max_length=16)  # pending, sending, sent, failed
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=64)
    sent_at: datetime | None = None
    sent_chat_id: str | None = Field(default=None, max_length=64)
    sent_message_id: int | None = None
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class SendShare(SQLModel, table=True):
    """A process sending on a channel, seen recently: the channel's send rate is split among the live ones
    (jobs.send_budget), so that N processes never send N times the channel's limit."""

    __tablename__ = "send_shares"

    worker: str = Field(primary_key=True, max_length=64)
    channel: str = Field(max_length=16, index=True)
    seen_at: datetime = Field(default_factory=utcnow)
