"""The WeCom (企业微信) channel: `safety.delivery.Channel` over the app's message API, and its send budget.

A view is rendered in the recipient's language with buttons signed for them (as on Telegram) and sent as
text and/or template cards (render.py), then its files (media/upload, then an image or file message). Each
card sent is a `WeComCard` row (its unique `task_id`); the id of the send's first card (or of its text, when
it has no buttons) is the `message_id` the outbox keeps.

WeCom cannot edit a message freely: a card is updated with a `response_code` — the one its send answer
brought, or a press's (the bridge stores it, `wecom_queries.record_response`) — once, within 24 hours. So an
edit takes such a code (marked used atomically) and updates the card; when there is none (used, too old), or
the new state does not fit one card with buttons (a button card needs at least one), it sends the new state
fresh and points the message at it. Text messages cannot be changed at all: their edits are fresh sends.

WeCom's errcodes become delivery errors (errors.py); a configuration fault (40001 / 48002 / 60020) also
alerts the admins once per kind until a send goes through again. Pacing per member (30 a minute and 1,000
an hour, excess silently dropped by WeCom) is the dispatcher's, with `wecom_budget()`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.wecom import render as wr
from bot.channels.wecom.client import WeComClient
from bot.channels.wecom.errors import ConfigurationFault, WeComError, delivery_error
from jobs.send_budget import ChatShape, SendBudget
from safety import callbacks
from safety.delivery import Recipient, Rejected, Sent, Unreachable
from safety.views import Attachment, View, render
from storage import wecom_queries as wq
from storage.db import Database
from storage.models.base import utcnow

logger = logging.getLogger(__name__)
NAME = "wecom"
# Per member and app WeCom takes 30 messages a minute and 1,000 an hour. A bucket of 5 refilled at one
# every 6 s lets at most 15 views a minute and 605 an hour go to one member: room for a view of two
# messages (text and card) within both limits.
MEMBER = ChatShape(rate=1 / 6, capacity=5.0)
CORP_RATE = 100.0  # calls a second for the whole app (WeCom: 10,000 a minute per API and corp)


def wecom_budget(rate: float = CORP_RATE) -> SendBudget:
    """The WeCom dispatcher's own send budget, paced per member (groups are members' chats too)."""
    return SendBudget(rate, private=MEMBER, group=MEMBER)


def task_prefix() -> str:
    """A new send's task prefix: unique in the app, of [a-z0-9] (its cards add `-0`, `-1`, …)."""
    return "w" + secrets.token_hex(10)


@dataclass(frozen=True)
class _Shown:
    task_id: str | None  # None: a text message
    msg_id: str | None
    response_code: str | None = None  # a card's send answer brings one (an update without a press)


class WeComChannel:
    """Sends and edits views for WeCom members (`Recipient.chat_id` is the member's userid)."""

    name = NAME
    can_edit = True

    def __init__(
        self,
        client: WeComClient,
        database: Database,
        *,
        secret: bytes,
        data_dir: Path,
        admins_alert: Callable[[str], Awaitable[None]] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.client = client
        self.db = database
        self.secret = secret
        self.data_dir = data_dir  # attachments' paths are relative to it
        self.admins_alert = admins_alert  # gets the errcode ("60020"); the caller words the alert
        self.clock = clock
        self._alerted: set[int] = set()

    def send_budget(self) -> SendBudget:
        return wecom_budget()

    async def start(self) -> None:
        await self.client.start()

    async def stop(self) -> None:
        await self.client.stop()

    # -- rendering -----------------------------------------------------------------------------------------
    def _rendered(self, recipient: Recipient, view: View) -> tuple[str, list[list[tuple[str, str]]]]:
        rendered = render(view, recipient.language)
        person = recipient.person_id or 0
        buttons = [
            [
                (b.label, callbacks.encode(self.secret, person_id=person, action=b.action, arg=b.arg))
                for b in row
            ]
            for row in rendered.buttons
        ]
        return rendered.text, buttons

    # -- the Channel protocol ------------------------------------------------------------------------------
    async def send(self, recipient: Recipient, view: View) -> Sent:
        text, buttons = self._rendered(recipient, view)
        userid = recipient.chat_id
        shown = await self._send_all(
            userid, wr.button_cards(userid, text, buttons, task_prefix=task_prefix())
        )
        for attachment in view.files:
            await self._send_file(userid, attachment)
        async with self.db.session(background=True) as session:
            ids = [await self._keep(session, userid, s) for s in _kept(shown)]
            await wq.set_text(session, card_id=ids[0], text=text)  # a press hands it to the handlers
        return Sent(chat_id=userid, message_id=ids[0])

    async def edit(self, recipient: Recipient, message_id: int, view: View) -> None:
        """The card updated in place when a usable response code is left and the new state fits one card
        with buttons; else the new state as a fresh send that the message now stands for. Files are not
        sent again."""
        text, buttons = self._rendered(recipient, view)
        userid = recipient.chat_id
        if buttons and wr.fits_card(text) and wr.card_fits_buttons(buttons):
            async with self.db.session(background=True) as session:
                taken = await wq.take_response(session, card_id=message_id, now=self.clock())
            if taken is not None:
                task_id, code = taken
                card = wr.updated_card(text, buttons, task_id=task_id)
                try:
                    await self.client.update_template_card(userids=[userid], response_code=code, card=card)
                    self._alerted.clear()
                    async with self.db.session(background=True) as session:
                        await wq.set_text(session, card_id=message_id, text=text)
                    return
                except WeComError as exc:
                    error = delivery_error(exc)
                    if isinstance(error, Rejected):
                        logger.info("wecom: card update refused (errcode %s): a fresh card", exc.errcode)
                    else:
                        raise await self._failed(exc) from None
        if not buttons:
            await retire_buttons(
                self.client,
                lambda: self.db.session(background=True),
                userid=userid,
                card_id=message_id,
                text=text,
                now=self.clock(),
            )
        shown = await self._send_all(
            userid, wr.button_cards(userid, text, buttons, task_prefix=task_prefix())
        )
        kept = _kept(shown)
        async with self.db.session(background=True) as session:
            if await wq.get_card(session, message_id) is None:
                for s in kept:
                    await self._keep(session, userid, s)
                return
            first, *others = kept
            await wq.repoint(
                session,
                card_id=message_id,
                task_id=first.task_id,
                msg_id=first.msg_id,
                now=self.clock(),
                response_code=first.response_code,
            )
            await wq.set_text(session, card_id=message_id, text=text)
            for s in others:
                await self._keep(session, userid, s)

    async def _keep(self, session: Any, userid: str, shown: _Shown) -> int:
        return await wq.add_card(
            session,
            userid=userid,
            task_id=shown.task_id,
            msg_id=shown.msg_id,
            now=self.clock(),
            response_code=shown.response_code,
        )

    # -- calls ---------------------------------------------------------------------------------------------
    async def _send_all(self, userid: str, messages: list[dict[str, Any]]) -> list[_Shown]:
        shown: list[_Shown] = []
        for message in messages:
            answer = await self._send(userid, message)
            card = message.get("template_card")
            code = answer.get("response_code") if card else None
            shown.append(
                _Shown(card["task_id"] if card else None, _msg_id(answer), str(code) if code else None)
            )
        return shown

    async def _send(self, userid: str, message: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = await self.client.send(message)
        except WeComError as exc:
            raise await self._failed(exc) from None
        if userid in str(answer.get("invaliduser", "")).split("|"):
            raise Unreachable("WeCom: invalid user")
        self._alerted.clear()
        return answer

    async def _send_file(self, userid: str, attachment: Attachment) -> None:
        """A kept file (by path) uploaded and sent; a file known only by another channel's id is skipped."""
        if not attachment.path:
            logger.warning("wecom: attachment %r has no kept copy; not sent", attachment.name)
            return
        path = self.data_dir / attachment.path
        kind = "image" if attachment.kind == "photo" else "file"
        try:
            media_id = await self.client.upload_media(
                kind=kind, filename=attachment.name or path.name, data=path.read_bytes()
            )
        except WeComError as exc:
            raise await self._failed(exc) from None
        await self._send(userid, wr.file_message(userid, media_id, kind=kind))

    async def _failed(self, exc: WeComError) -> Exception:
        """The delivery error for `exc`; a configuration fault alerts the admins (once a kind)."""
        error = delivery_error(exc)
        if isinstance(error, ConfigurationFault) and exc.errcode not in self._alerted:
            self._alerted.add(exc.errcode)
            logger.error("wecom: errcode %s: the app's configuration needs an admin", exc.errcode)
            if self.admins_alert is not None:
                try:
                    await self.admins_alert(str(exc.errcode))
                except Exception:
                    logger.exception("wecom: alerting the admins failed")
        return error


async def retire_buttons(
    client: WeComClient,
    session: Callable[[], AbstractAsyncContextManager[AsyncSession]],
    *,
    userid: str,
    card_id: int,
    text: str,
    now: datetime,
) -> None:
    """A card whose new state has no buttons: with a press's response code left, its buttons give way to
    the state's first line (so an answered card cannot be pressed again); the state itself is then sent
    as a new message by the caller. Without a code, or refused, the card stays as it is."""
    async with session() as opened:
        taken = await wq.take_response(opened, card_id=card_id, now=now)
    if taken is None:
        return
    try:
        await client.replace_button(userids=[userid], response_code=taken[1], name=wr.answered_name(text))
    except WeComError as exc:
        if not isinstance(delivery_error(exc), Rejected):
            raise
        logger.info("wecom: card %s keeps its buttons (errcode %s)", card_id, exc.errcode)


def _kept(shown: list[_Shown]) -> list[_Shown]:
    """The rows to keep: every card, or the first text when the send had no card."""
    cards = [s for s in shown if s.task_id is not None]
    return cards or shown[:1]


def _msg_id(answer: dict[str, Any]) -> str | None:
    msgid = answer.get("msgid")
    return str(msgid) if msgid else None
