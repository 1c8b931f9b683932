"""WeCom (企业微信): callbacks already processed (WeCom retries a callback it thinks unanswered) and the
template cards sent, with the `response_code` a button press brings (it updates the card once, ≤ 24 h)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from storage.models.base import utcnow


class WeComSeen(SQLModel, table=True):
    """A callback processed: `MsgId` for messages, `FromUserName` + `CreateTime` (+ key) for events."""

    __tablename__ = "wecom_seen"

    key: str = Field(primary_key=True, max_length=160)
    at: datetime = Field(default_factory=utcnow, index=True)


class WeComCard(SQLModel, table=True):
    """A message the WeCom channel sent; its id is the `message_id` the outbox and handlers know. A
    template card's `task_id` is unique; a press stores its `response_code`, which one update consumes."""

    __tablename__ = "wecom_cards"

    id: int | None = Field(default=None, primary_key=True)
    userid: str = Field(max_length=64, index=True)
    task_id: str | None = Field(default=None, unique=True, max_length=128)
    msg_id: str | None = Field(default=None, max_length=128)  # WeCom's msgid of the send
    response_code: str | None = Field(default=None, max_length=256)
    response_at: datetime | None = None  # when the response_code arrived (it expires after 24 h)
    response_used: bool = Field(default=False)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # what the card shows
    created_at: datetime = Field(default_factory=utcnow)
