"""The 一岗双责 duty list (责任清单, `safetybot import duties`): each listed duty of a role or a person, with
its frequency and the kind of evidence the bot holds for it.

A duty is keyed by the file's `id`. A duty the file no longer lists is deactivated (`active` False,
`deactivated_at` set), not deleted: the months before its removal still show it in the record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from storage.models.base import utcnow


class DutyItem(SQLModel, table=True):
    """One listed duty: for the holders of `role` (in `units` and below; None: everywhere) or for one
    person; `every` (day | workday | week | month | quarter | year) and `times` say how often; `evidence`
    names what the bot counts for it (safety.duties.evidence; `none`: kept outside the bot)."""

    __tablename__ = "duty_items"

    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=200)
    role: str | None = Field(default=None, max_length=32)
    person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    units: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    every: str = Field(max_length=16)
    times: int = Field(default=1)
    evidence: str = Field(max_length=32)
    source: str | None = Field(default=None, max_length=200)  # the file's label (示例…), as imported
    position: int = Field(default=0)  # the order of the file
    active: bool = Field(default=True)
    deactivated_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
