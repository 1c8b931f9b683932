"""SQLModel tables. Times are aware UTC datetimes; unit ids and employee numbers come from the org files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Unit(SQLModel, table=True):
    """A node of the organisation tree (branch, project, team)."""

    __tablename__ = "units"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    parent_id: str | None = Field(default=None, foreign_key="units.id", index=True, max_length=64)
    timezone: str | None = Field(default=None, max_length=64)
    checkin: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    escalation: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
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
    """A chat account bound to a person; one account per person and channel."""

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
    """What the bot waits for from a person next (a note, a location), kept across restarts."""

    __tablename__ = "chat_states"

    person_id: int = Field(primary_key=True, foreign_key="people.id")
    kind: str = Field(max_length=32)
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
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
    """One escalation digest: a unit, a kind, a reference (the round) and a step, sent to its recipients."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("kind", "ref", "unit_id", "level", name="uq_digest"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    ref: str = Field(max_length=64)
    unit_id: str = Field(foreign_key="units.id", max_length=64)
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

    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="digests.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    group_unit_id: str | None = Field(default=None, max_length=64)
    outbox_key: str = Field(max_length=160)


# --- delivery -----------------------------------------------------------------------------------------------


class OutboxMessage(SQLModel, table=True):
    """A proactive message, written in the same transaction as its cause; sent once by the dispatcher."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=160)  # idempotency key, e.g. obligation:812:level:2:person:44
    kind: str = Field(max_length=32)
    person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    chat_id: str | None = Field(default=None, max_length=64)  # a group chat; else the person's chat
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
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


# --- the ten-prohibitions quiz, clearance and violations ---------------------------------------------------


class Prohibition(SQLModel, table=True):
    """One prohibition of the loaded bank (a labelled sample until the company's own bank is imported)."""

    __tablename__ = "prohibitions"

    number: int = Field(primary_key=True)
    title: str = Field(max_length=200)
    text: str = Field(max_length=2000)
    source: str = Field(max_length=200)
    active: bool = Field(default=True)


class Question(SQLModel, table=True):
    """A bank question; editing it never changes past attempts (an attempt keeps what it asked)."""

    __tablename__ = "questions"

    id: str = Field(primary_key=True, max_length=64)
    prohibition: int = Field(foreign_key="prohibitions.number", index=True)
    type: str = Field(max_length=8)  # single | multi | judge
    stem: str = Field(max_length=1000)
    options: list[str] = Field(sa_column=Column(JSON, nullable=False))  # judge: [对, 错]
    answer: list[int] = Field(sa_column=Column(JSON, nullable=False))  # indexes into options
    explanation: str = Field(default="", max_length=2000)
    source: str = Field(max_length=200)
    active: bool = Field(default=True)


class QuizAttempt(SQLModel, table=True):
    """One attempt: the questions it drew, in the order and with the option order it showed."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (Index("ix_quiz_attempts_person_status", "person_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    status: str = Field(default="open", max_length=16)  # open, passed, failed, expired
    started_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    finished_at: datetime | None = None
    position: int = Field(default=0)  # index of the question being asked
    score: int = Field(default=0)
    total: int = Field(default=0)
    pass_mark: float = Field(default=1.0)
    source: str = Field(default="", max_length=200)


class QuizItem(SQLModel, table=True):
    """A question as asked in an attempt: a snapshot (stem, shuffled options, answer) and the answer given."""

    __tablename__ = "quiz_items"
    __table_args__ = (UniqueConstraint("attempt_id", "position", name="uq_quiz_item_position"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="quiz_attempts.id", index=True)
    position: int
    question_id: str = Field(max_length=64, index=True)
    prohibition: int
    type: str = Field(max_length=8)
    stem: str = Field(max_length=1000)
    options: list[str] = Field(sa_column=Column(JSON, nullable=False))  # in the order shown
    answer: list[int] = Field(sa_column=Column(JSON, nullable=False))  # indexes into the shown options
    explanation: str = Field(default="", max_length=2000)
    picked: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # multi: toggles
    chosen: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    correct: bool | None = None
    answered_at: datetime | None = None


class Clearance(SQLModel, table=True):
    """Duty clearance history: granted by a passed attempt, suspended by a violation."""

    __tablename__ = "clearances"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    event: str = Field(max_length=16)  # granted, suspended, expired
    at: datetime = Field(default_factory=utcnow)
    until: date | None = None
    attempt_id: int | None = Field(default=None, foreign_key="quiz_attempts.id")
    violation_id: int | None = None


class Violation(SQLModel, table=True):
    """A recorded violation of a prohibition."""

    __tablename__ = "violations"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    prohibition: int
    note: str = Field(default="", max_length=1000)
    photo_file_id: str | None = Field(default=None, max_length=256)
    recorded_by: int = Field(foreign_key="people.id")
    at: datetime = Field(default_factory=utcnow)
    repeat: bool = Field(default=False)  # a second violation within the window: escalated to the manager
