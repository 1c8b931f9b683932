"""Reminder cards (安全生产提示卡) and the holiday duty roster (值班表).

A `Card` is a rule of the calendar (or an ad-hoc card composed in chat); each date it falls on is a
`CardOccurrence`, sent once to each `CardRecipient`; every read, deployment, note and quiz pass is also a
`CardEvent`, so the record (照单履职) keeps what happened even after a revision asks for a new answer.
A `DutyShift` is one person on duty (带班领导 or 值班员) for one unit from `starts_at` to `ends_at`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import utcnow


class Card(SQLModel, table=True):
    """A card rule from `import cards` (source "file") or composed with `/card new` (source "adhoc").

    `revision` grows by one whenever the title, items or quiz change on import; `content` is a digest of
    those, to tell a revision from a re-import of the same file."""

    __tablename__ = "cards"

    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=200)
    date_rule: str = Field(max_length=64)  # "lunar:01-01", "term:清明", "06-01..08-31 every P7D", …
    send_before: str = Field(default="P0D", max_length=16)  # ISO 8601 duration before the event date
    send_at: str = Field(default="09:00", max_length=5)  # local time of day
    timezone: str | None = Field(default=None, max_length=64)  # None: the org's
    audience_roles: list[str] = Field(sa_column=Column(JSON, nullable=False))
    audience_units: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # None: all
    items: list[str] = Field(sa_column=Column(JSON, nullable=False))
    ack: list[str] = Field(sa_column=Column(JSON, nullable=False))  # ["read", "deployed"] or ["read"]
    quiz: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # quiz: {"questions": N, "prohibitions": [1, 2]} — a lesson each recipient must pass
    source: str = Field(default="file", max_length=16)  # file | adhoc
    created_by: int | None = Field(default=None, foreign_key="people.id")
    revision: int = Field(default=1)
    content: str = Field(default="", max_length=64)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CardOccurrence(SQLModel, table=True):
    """One date of a card: unique per card and event date, so creating it is idempotent. `revision` is the
    card's revision its recipients were (last) sent; title and items are kept as sent."""

    __tablename__ = "card_occurrences"
    __table_args__ = (UniqueConstraint("card_id", "event_date", name="uq_card_occurrence"),)

    id: int | None = Field(default=None, primary_key=True)
    card_id: str = Field(foreign_key="cards.id", index=True, max_length=64)
    event_date: date
    send_at: datetime  # UTC
    revision: int = Field(default=1)
    title: str = Field(max_length=200)
    items: list[str] = Field(sa_column=Column(JSON, nullable=False))
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class CardRecipient(SQLModel, table=True):
    """A person a card occurrence went to, and where their answer stands for the occurrence's revision."""

    __tablename__ = "card_recipients"
    __table_args__ = (UniqueConstraint("occurrence_id", "person_id", name="uq_card_recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="card_occurrences.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    unit_id: str = Field(foreign_key="units.id", max_length=64)
    revision: int = Field(default=1)  # the revision this person was last asked to acknowledge
    version: int = Field(default=0)  # compare-and-set on every answer
    read_at: datetime | None = None
    deployed_at: datetime | None = None
    note: str | None = Field(default=None, max_length=1000)
    passed_at: datetime | None = None  # a lesson's quiz passed
    quiz_attempt_id: int | None = Field(default=None, foreign_key="quiz_attempts.id")
    created_at: datetime = Field(default_factory=utcnow)


class CardEvent(SQLModel, table=True):
    """One answer to a card (read, deployed, note, passed, failed, resent), kept for the record."""

    __tablename__ = "card_events"
    __table_args__ = (Index("ix_card_events_occurrence", "occurrence_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="card_occurrences.id")
    person_id: int = Field(foreign_key="people.id")
    revision: int
    action: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=1000)
    at: datetime = Field(default_factory=utcnow)


class DutyShift(SQLModel, table=True):
    """One person on duty for a unit (值班表): role `leader` (带班领导) or `officer` (值班员)."""

    __tablename__ = "duty_shifts"
    __table_args__ = (
        UniqueConstraint("person_id", "unit_id", "starts_at", name="uq_duty_shift"),
        Index("ix_duty_shifts_window", "starts_at", "ends_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date  # the roster's local date
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    person_id: int = Field(foreign_key="people.id", index=True)
    unit_id: str = Field(foreign_key="units.id", index=True, max_length=64)
    role: str = Field(max_length=16)  # leader | officer
    reminded_at: datetime | None = None  # the day-before reminder was written to the outbox
    opened_at: datetime | None = None  # the duty_shift obligation was opened
    confirmed_at: datetime | None = None  # 到岗 pressed
    created_at: datetime = Field(default_factory=utcnow)


class CalendarNotice(SQLModel, table=True):
    """A notice sent once: e.g. "calendar-missing:2027" in December when next year's calendar is absent."""

    __tablename__ = "calendar_notices"

    key: str = Field(primary_key=True, max_length=64)
    at: datetime = Field(default_factory=utcnow)
