"""The ten-prohibitions quiz: the bank, attempts with snapshots, clearance history, violations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import utcnow

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
    purpose: str | None = Field(default=None, max_length=32)  # None: clearance; "card:<recipient>": lesson


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
    picked_mask: int = Field(default=0)  # multi: the toggled options as bits, flipped in one statement
    chosen: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    correct: bool | None = None
    answered_at: datetime | None = None

    @property
    def picked(self) -> list[int]:
        return [i for i in range(len(self.options)) if self.picked_mask >> i & 1]


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
